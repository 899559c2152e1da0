package mpgw.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.embedded.EmbeddedChannel;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import mpgw.log.LogLimiter;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class AcceptBackoffTest {
    private final AtomicInteger failures = new AtomicInteger();
    private final AcceptBackoff backoff = new AcceptBackoff("0.0.0.0:1080", failures::incrementAndGet,
            new LogLimiter(Duration.ofMinutes(1), 16), Duration.ofMillis(50), Duration.ofSeconds(1));
    private final EmbeddedChannel listener = new EmbeddedChannel(backoff);

    @BeforeEach
    void onlyTheTestMovesTheClock() {
        listener.freezeTime(); // a slow machine must not run the resume task early
    }

    @Test
    void aFailedAcceptStopsAcceptingUntilThePauseEndsAndIsConsumed() {
        listener.pipeline().fireExceptionCaught(new IOException("accept(..) failed: Too many open files"));
        assertFalse(listener.config().isAutoRead(), "no more accepts while paused: no busy loop");
        assertTrue(backoff.paused());
        assertEquals(1, failures.get());
        listener.checkException(); // consumed: nothing reaches the tail

        listener.advanceTimeBy(49, TimeUnit.MILLISECONDS);
        listener.runScheduledPendingTasks();
        assertFalse(listener.config().isAutoRead());
        listener.advanceTimeBy(1, TimeUnit.MILLISECONDS);
        listener.runScheduledPendingTasks();
        assertTrue(listener.config().isAutoRead(), "accepting resumes after the pause");
    }

    @Test
    void thePauseDoublesWhileAcceptingKeepsFailingAndResetsOnTheNextAcceptedConnection() {
        assertEquals(50, pauseAfterOneFailure());
        assertEquals(100, pauseAfterOneFailure());
        assertEquals(200, pauseAfterOneFailure());
        for (int i = 0; i < 10; i++) {
            pauseAfterOneFailure();
        }
        assertEquals(1000, pauseAfterOneFailure(), "capped at the maximum");

        Object child = new Object();
        listener.writeInbound(child);
        assertSame(child, listener.readInbound(), "an accepted connection passes on to the acceptor");
        assertEquals(50, pauseAfterOneFailure(), "a success resets the pause");
    }

    @Test
    void failuresWhilePausedAreCountedButDoNotExtendThePause() {
        listener.pipeline().fireExceptionCaught(new IOException("EMFILE"));
        listener.pipeline().fireExceptionCaught(new IOException("EMFILE"));
        assertEquals(2, failures.get());
        listener.advanceTimeBy(50, TimeUnit.MILLISECONDS);
        listener.runScheduledPendingTasks();
        assertTrue(listener.config().isAutoRead());
        assertNull(listener.readInbound());
    }

    /** Fires one failure and returns how long accepting stayed off, in ms (1 ms steps). */
    private long pauseAfterOneFailure() {
        listener.pipeline().fireExceptionCaught(new IOException("EMFILE"));
        long waited = 0;
        while (!listener.config().isAutoRead() && waited < 5000) {
            listener.advanceTimeBy(1, TimeUnit.MILLISECONDS);
            listener.runScheduledPendingTasks();
            waited++;
        }
        return waited;
    }
}
