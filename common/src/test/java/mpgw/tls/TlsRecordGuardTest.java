package mpgw.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class TlsRecordGuardTest {
    /** Records user events behind the guard. */
    private static final class Events extends ChannelInboundHandlerAdapter {
        final List<Object> seen = new ArrayList<>();

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            seen.add(evt);
        }
    }

    @Test
    void aHandshakeRecordPassesUntouchedAndTheGuardLeaves() {
        EmbeddedChannel ch = new EmbeddedChannel(TlsRecordGuard.INSTANCE);
        ByteBuf record = Unpooled.wrappedBuffer(new byte[] {0x16, 0x03, 0x01, 0x00, 0x01, 0x01});
        assertTrue(ch.writeInbound(record));
        ByteBuf passed = ch.readInbound();
        assertEquals(6, passed.readableBytes());
        passed.release();
        assertNull(ch.pipeline().get(TlsRecordGuard.class));
        assertTrue(ch.isOpen());
        assertFalse(ch.finish());
    }

    @Test
    void aSocks5GreetingIsDroppedReportedAndClosed() {
        Events events = new Events();
        EmbeddedChannel ch = new EmbeddedChannel(TlsRecordGuard.INSTANCE, events);
        ByteBuf greeting = Unpooled.wrappedBuffer(new byte[] {0x05, 0x01, 0x00});
        assertFalse(ch.writeInbound(greeting));
        assertEquals(0, greeting.refCnt(), "the plaintext bytes are released");
        assertFalse(ch.isOpen());
        TlsRecordGuard.PlaintextRejected rejected = (TlsRecordGuard.PlaintextRejected) events.seen.get(0);
        assertEquals(5, rejected.firstByte());
        assertTrue(rejected.description().startsWith("first byte 0x05 is not a TLS handshake record"));
        assertFalse(ch.finish());
    }

    @Test
    void anEmptyReadWaitsForTheFirstByte() {
        EmbeddedChannel ch = new EmbeddedChannel(TlsRecordGuard.INSTANCE);
        assertFalse(ch.writeInbound(Unpooled.buffer(0)));
        assertTrue(ch.isOpen());
        assertTrue(ch.pipeline().get(TlsRecordGuard.class) != null);
        assertFalse(ch.finish());
    }
}
