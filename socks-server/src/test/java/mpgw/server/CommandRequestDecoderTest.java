package mpgw.server;

import static mpgw.server.Wire.bytes;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.socksx.v5.Socks5CommandStatus;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

/** The request decoder alone: partial input, pass-through of pipelined bytes, and its two failure kinds. */
class CommandRequestDecoderTest {
    private static final InetSocketAddress DEST = new InetSocketAddress("192.0.2.7", 443);

    @Test
    void oneByteAtATimeThenPipelinedBytesPassThrough() {
        EmbeddedChannel ch = new EmbeddedChannel(new CommandRequestDecoder());
        byte[] request = Wire.request(1, DEST);
        for (int i = 0; i < request.length - 1; i++) {
            assertFalse(ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {request[i]})));
        }
        ch.writeInbound(Unpooled.wrappedBuffer(Wire.concat(new byte[] {request[request.length - 1]}, "abc".getBytes())));
        SocksRequest decoded = ch.readInbound();
        assertEquals(SocksRequest.ok(1, DEST), decoded);
        assertPayload(ch.readInbound(), "abc");
        ch.writeInbound(Unpooled.wrappedBuffer("def".getBytes()));
        assertPayload(ch.readInbound(), "def");
        assertFalse(ch.finish());
    }

    @Test
    void domainIsLeftUnresolved() {
        EmbeddedChannel ch = new EmbeddedChannel(new CommandRequestDecoder());
        ch.writeInbound(Unpooled.wrappedBuffer(Wire.request(5, InetSocketAddress.createUnresolved("example.org", 53))));
        SocksRequest decoded = ch.readInbound();
        assertEquals(5, decoded.command());
        assertEquals("example.org", decoded.destination().getHostString());
        assertEquals(true, decoded.destination().isUnresolved());
        assertFalse(ch.finish());
    }

    @Test
    void wrongVersionIsGeneralFailureAndTheRestIsDiscarded() {
        EmbeddedChannel ch = new EmbeddedChannel(new CommandRequestDecoder());
        ch.writeInbound(Unpooled.wrappedBuffer(bytes(4, 1, 0, 1, 1, 2, 3, 4, 0, 80, 'x')));
        SocksRequest decoded = ch.readInbound();
        assertEquals(Socks5CommandStatus.FAILURE, decoded.error());
        ch.writeInbound(Unpooled.wrappedBuffer("more".getBytes()));
        assertNull(ch.readInbound());
        assertFalse(ch.finish());
    }

    @Test
    void unknownAddressTypeIsAddressUnsupported() {
        EmbeddedChannel ch = new EmbeddedChannel(new CommandRequestDecoder());
        ch.writeInbound(Unpooled.wrappedBuffer(bytes(5, 1, 0, 9)));
        SocksRequest decoded = ch.readInbound();
        assertEquals(Socks5CommandStatus.ADDRESS_UNSUPPORTED, decoded.error());
        assertFalse(ch.finish());
    }

    private static void assertPayload(ByteBuf buf, String expected) {
        try {
            assertArrayEquals(expected.getBytes(), ByteBufUtil.getBytes(buf));
        } finally {
            buf.release();
        }
    }
}
