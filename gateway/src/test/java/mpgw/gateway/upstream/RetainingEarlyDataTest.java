package mpgw.gateway.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Client bytes for a pooled handshake that may be repeated: replayed in order, every buffer released once. */
class RetainingEarlyDataTest {
    private final ArrayDeque<ByteBuf> arriving = new ArrayDeque<>();
    private final List<ByteBuf> handedOut = new ArrayList<>();
    private final EarlyData source = () -> {
        ByteBuf b = arriving.poll();
        if (b == null) {
            return Unpooled.EMPTY_BUFFER;
        }
        handedOut.add(b);
        return b;
    };

    private void arrive(String text) {
        arriving.add(Unpooled.copiedBuffer(text, StandardCharsets.US_ASCII));
    }

    /** What a handshake does with taken bytes: writes them (here: reads them out) and the channel releases them. */
    private static String write(ByteBuf b) {
        try {
            return b.toString(StandardCharsets.US_ASCII);
        } finally {
            b.release();
        }
    }

    @Test
    void afterRewindTheNextTakeReturnsEverythingTakenBeforeThenNewBytes() {
        RetainingEarlyData early = new RetainingEarlyData(source, ByteBufAllocator.DEFAULT);
        arrive("GET / ");
        assertEquals("GET / ", write(early.take()));
        arrive("HTTP/1.1");
        assertEquals("HTTP/1.1", write(early.take()));

        early.rewind(); // the pooled connection died: the fresh one gets the same bytes first
        arrive("\r\n");
        assertEquals("GET / HTTP/1.1\r\n", write(early.take()));
        assertEquals("", write(early.take()));

        early.release();
        for (ByteBuf b : handedOut) {
            assertEquals(0, b.refCnt(), "every client buffer released");
        }
    }

    @Test
    void aRewindBeforeAnyNewTakeKeepsTheBytes() {
        RetainingEarlyData early = new RetainingEarlyData(source, ByteBufAllocator.DEFAULT);
        arrive("abc");
        assertEquals("abc", write(early.take()));
        early.rewind();
        early.rewind(); // a second attempt that failed before taking anything
        assertEquals("abc", write(early.take()));
        early.release();
        assertEquals(0, handedOut.get(0).refCnt());
    }

    @Test
    void releaseWithoutRewindFreesTheCopies() {
        RetainingEarlyData early = new RetainingEarlyData(source, ByteBufAllocator.DEFAULT);
        arrive("xyz");
        assertEquals("xyz", write(early.take()));
        early.release();
        assertEquals(0, handedOut.get(0).refCnt());
        arrive("later");
        assertEquals("later", write(early.take()), "after release, bytes pass straight through");
    }
}
