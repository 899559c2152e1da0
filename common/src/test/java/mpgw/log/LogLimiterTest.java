package mpgw.log;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class LogLimiterTest {
    private final AtomicLong clock = new AtomicLong(1_000_000_000L);
    private final LogLimiter limiter = new LogLimiter(Duration.ofSeconds(60), 3, clock::get);

    @Test
    void onePerIntervalAndKeyAndTheNextSaysHowManyItStoodFor() {
        assertEquals(0, limiter.admit("10.0.0.5"));
        for (int i = 0; i < 1000; i++) {
            assertEquals(-1, limiter.admit("10.0.0.5"));
        }
        assertEquals(0, limiter.admit("10.0.0.6"), "another key has its own interval");
        clock.addAndGet(Duration.ofSeconds(59).toNanos());
        assertEquals(-1, limiter.admit("10.0.0.5"));
        clock.addAndGet(Duration.ofSeconds(1).toNanos());
        assertEquals(1001, limiter.admit("10.0.0.5"));
        assertEquals(-1, limiter.admit("10.0.0.5"));
    }

    @Test
    void keysBeyondTheBoundShareOneSlotInsteadOfGrowingTheTable() {
        for (int i = 0; i < 10_000; i++) {
            limiter.admit("10.0." + (i / 256) + "." + (i % 256));
        }
        assertEquals(4, limiter.keys(), "3 keys and the overflow slot");
        assertEquals(-1, limiter.admit("192.168.1.1"), "a new key while full is limited with the overflow slot");
    }

    @Test
    void keysIdleForAnIntervalMakeRoomForNewOnes() {
        limiter.admit("a");
        limiter.admit("b");
        limiter.admit("c");
        clock.addAndGet(Duration.ofSeconds(61).toNanos());
        assertEquals(0, limiter.admit("d"), "idle keys are swept, d gets its own slot");
        assertEquals(1, limiter.keys());
    }

    @Test
    void aKeyWithSuppressedLinesIsNotSweptSoItsCountIsNotLost() {
        limiter.admit("a");
        limiter.admit("a");
        limiter.admit("b");
        limiter.admit("c");
        clock.addAndGet(Duration.ofSeconds(61).toNanos());
        limiter.admit("d");
        assertEquals(1, limiter.admit("a"), "a's suppressed line is reported, not dropped by the sweep");
    }
}
