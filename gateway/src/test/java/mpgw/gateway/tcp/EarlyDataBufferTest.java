package mpgw.gateway.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import org.junit.jupiter.api.Test;

/** The early-data buffer: bounded, reading paused when full and resumed by take(), FIN remembered. */
class EarlyDataBufferTest {
    /** Counts the read requests that reach the transport (with auto-read off, each one is a read). */
    private static final class ReadCounter extends ChannelOutboundHandlerAdapter {
        int reads;

        @Override
        public void read(ChannelHandlerContext ctx) {
            reads++;
            ctx.read();
        }
    }

    private final ReadCounter counter = new ReadCounter();
    private final EarlyDataBuffer early = new EarlyDataBuffer(8);
    private final EmbeddedChannel ch = new EmbeddedChannel(counter, early);

    @Test
    void buffersUpToTheLimitThenStopsReadingUntilTaken() {
        ch.config().setAutoRead(false); // as on the gateway's accepted channels: only the buffer asks for reads
        int before = counter.reads;
        ch.writeInbound(Unpooled.wrappedBuffer(new byte[5])); // read, then read-complete
        assertEquals(before + 1, counter.reads, "room left: read more");
        ch.writeInbound(Unpooled.wrappedBuffer(new byte[5]));
        assertEquals(before + 1, counter.reads, "full (10 >= 8): no more reads");
        assertEquals(10, early.size());

        ByteBuf taken = early.take();
        assertEquals(10, taken.readableBytes());
        taken.release();
        assertEquals(before + 2, counter.reads, "taking makes room: reading resumes");
        assertEquals(10, early.taken());
        assertEquals(0, early.take().readableBytes());
        assertFalse(ch.finish());
    }

    @Test
    void remembersTheClientsFinAndReleasesWhatItHoldsWhenRemoved() {
        ByteBuf held = Unpooled.wrappedBuffer(new byte[3]);
        ch.writeInbound(held);
        ch.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
        assertTrue(early.inputShutdown());
        ch.pipeline().remove(early);
        assertEquals(0, held.refCnt(), "released on removal");
        assertFalse(ch.finish());
    }
}
