package mpgw.gateway.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The client's bytes for a flow whose handshake may run on two connections: each view gets every byte once, in
 * order, from the first; the log's limit holds a pipelined handshake back; every buffer is released once.
 */
class EarlyDataLogTest {
    private final ArrayDeque<ByteBuf> arriving = new ArrayDeque<>();
    private final List<ByteBuf> handedOut = new ArrayList<>();
    private Runnable arrivalListener;
    private final EarlyData source = new EarlyData() {
        @Override
        public ByteBuf take() { // everything buffered, like the gateway's EarlyDataBuffer
            if (arriving.isEmpty()) {
                return Unpooled.EMPTY_BUFFER;
            }
            handedOut.addAll(arriving);
            ByteBuf all = Unpooled.wrappedBuffer(arriving.toArray(new ByteBuf[0]));
            arriving.clear();
            return all;
        }

        @Override
        public boolean hasArrived() {
            return !arriving.isEmpty();
        }

        @Override
        public void onArrival(Runnable listener) {
            arrivalListener = listener;
        }
    };

    private void arrive(String text) {
        arriving.add(Unpooled.copiedBuffer(text, StandardCharsets.US_ASCII));
        if (arrivalListener != null) {
            arrivalListener.run();
        }
    }

    /** What a handshake does with taken bytes: writes them (here: reads them out) and the channel releases them. */
    private static String write(ByteBuf b) {
        try {
            return b.toString(StandardCharsets.US_ASCII);
        } finally {
            b.release();
        }
    }

    private void assertAllReleased() {
        for (ByteBuf b : handedOut) {
            assertEquals(0, b.refCnt(), "every client buffer released");
        }
    }

    @Test
    void aSecondViewGetsEveryByteFromTheFirstThenOnlyNewOnes() {
        EarlyDataLog log = new EarlyDataLog(source, ByteBufAllocator.DEFAULT, 1024);
        EarlyData pipelined = log.view();
        arrive("GET / ");
        assertEquals("GET / ", write(pipelined.take()));
        arrive("HTTP/1.1");
        assertEquals("HTTP/1.1", write(pipelined.take()));

        EarlyData stepByStep = log.view(); // the race starts: the second connection needs everything
        arrive("\r\n");
        assertEquals("GET / HTTP/1.1\r\n", write(stepByStep.take()));
        assertEquals("", write(stepByStep.take()));
        assertEquals("\r\n", write(pipelined.take()), "the first view goes on where it was");
        arrive("Host: x\r\n");
        assertEquals("Host: x\r\n", write(stepByStep.take()));
        assertEquals("Host: x\r\n", write(pipelined.take()));

        log.release();
        assertAllReleased();
    }

    @Test
    void aViewMadeAfterADeadOneStartsAtZero() {
        EarlyDataLog log = new EarlyDataLog(source, ByteBufAllocator.DEFAULT, 1024);
        arrive("abc");
        assertEquals("abc", write(log.view().take())); // a pooled member that turned out dead
        EarlyData again = log.view();
        EarlyData third = log.view(); // a second retry that failed before taking anything
        assertEquals("abc", write(again.take()));
        assertEquals("abc", write(third.take()));
        log.release();
        assertAllReleased();
    }

    @Test
    void fullOnceTheLimitIsLoggedSoThePipelinedSideStopsTaking() {
        EarlyDataLog log = new EarlyDataLog(source, ByteBufAllocator.DEFAULT, 8);
        EarlyData view = log.view();
        assertFalse(view.full());
        arrive("12345");
        assertEquals("12345", write(view.take()));
        assertFalse(view.full(), "5 of 8 bytes");
        arrive("678");
        assertEquals("678", write(view.take()));
        assertTrue(view.full(), "8 of 8 bytes: a pipelined handshake takes no more before its command reply");
        arrive("9");
        assertTrue(view.hasArrived(), "the client's bytes wait in its own buffer");
        assertEquals(1, arriving.size(), "not taken from the client while full");
        assertEquals("9", write(view.take()), "after the reply, take() empties the client's buffer");
        log.release();
        assertAllReleased();
    }

    @Test
    void arrivalsReachEveryViewThatListens() {
        EarlyDataLog log = new EarlyDataLog(source, ByteBufAllocator.DEFAULT, 1024);
        EarlyData a = log.view();
        EarlyData b = log.view();
        int[] heard = new int[2];
        a.onArrival(() -> heard[0]++);
        b.onArrival(() -> heard[1]++);
        arrive("x");
        b.onArrival(null); // b's handshake ended
        arrive("y");
        assertEquals(2, heard[0]);
        assertEquals(1, heard[1]);
        assertEquals("xy", write(a.take()));
        log.release();
        assertAllReleased();
    }

    @Test
    void afterReleaseBytesPassStraightThroughAndNothingIsKept() {
        EarlyDataLog log = new EarlyDataLog(source, ByteBufAllocator.DEFAULT, 1024);
        EarlyData view = log.view();
        arrive("xyz");
        assertEquals("xyz", write(view.take()));
        log.release();
        assertEquals(0, handedOut.get(0).refCnt());
        arrive("later");
        assertEquals("later", write(view.take()));
        assertAllReleased();
    }
}
