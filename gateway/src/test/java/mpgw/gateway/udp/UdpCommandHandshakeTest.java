package mpgw.gateway.udp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.socksx.v5.Socks5CommandType;
import io.netty.util.concurrent.Promise;
import java.net.InetSocketAddress;
import java.time.Duration;
import mpgw.gateway.upstream.EarlyData;
import mpgw.gateway.upstream.Socks5ClientHandshake;
import mpgw.gateway.upstream.Socks5ClientSettings;
import mpgw.gateway.upstream.Socks5HandshakeException;
import mpgw.gateway.upstream.Socks5Requests;
import org.junit.jupiter.api.Test;

/** The gateway's SOCKS5 client handshake with the UDP commands: FWD UDP (0x05) and UDP ASSOCIATE (0x03). */
class UdpCommandHandshakeTest {
    private static final Socks5ClientSettings PIPELINED =
            new Socks5ClientSettings(null, "", true, Duration.ofSeconds(5), 1024);
    private static final InetSocketAddress SERVER = new InetSocketAddress("10.1.1.2", 1080);

    private static String out(EmbeddedChannel ch) {
        StringBuilder hex = new StringBuilder();
        ByteBuf b;
        while ((b = ch.readOutbound()) != null) {
            hex.append(ByteBufUtil.hexDump(b));
            b.release();
        }
        return hex.toString();
    }

    @Test
    void fwdUdpRequestIsPipelinedAndBytesAfterTheReplyAreTheFirstFrames() {
        EmbeddedChannel ch = new EmbeddedChannel();
        Promise<Channel> result = ch.eventLoop().newPromise();
        ch.pipeline().addLast(new Socks5ClientHandshake(SERVER, new InetSocketAddress("0.0.0.0", 0), PIPELINED,
                EarlyData.NONE, result, Socks5Requests.FWD_UDP));
        assertEquals("050100" + "05050001000000000000", out(ch), "greeting, then VER CMD=5 RSV ATYP 0.0.0.0:0");
        ch.writeInbound(Unpooled.wrappedBuffer(ByteBufUtil.decodeHexDump("0500" + "050000010a0101020438" + "cafe")));
        assertTrue(result.isSuccess());
        assertEquals(SERVER, ch.attr(Socks5ClientHandshake.BOUND_ADDRESS).get());
        ByteBuf rest = ch.readInbound();
        assertEquals("cafe", ByteBufUtil.hexDump(rest), "the stream's first bytes reach the next handler");
        rest.release();
        assertFalse(ch.finish());
    }

    @Test
    void associateNamesTheRelayAndARefusalFailsWithItsCode() {
        EmbeddedChannel ch = new EmbeddedChannel();
        Promise<Channel> result = ch.eventLoop().newPromise();
        ch.pipeline().addLast(new Socks5ClientHandshake(SERVER, new InetSocketAddress("0.0.0.0", 0), PIPELINED,
                EarlyData.NONE, result, Socks5CommandType.UDP_ASSOCIATE));
        assertEquals("050100" + "05030001000000000000", out(ch));
        ch.writeInbound(Unpooled.wrappedBuffer(ByteBufUtil.decodeHexDump("0500" + "05020001000000000000")));
        assertFalse(result.isSuccess());
        assertEquals(0x02, ((Socks5HandshakeException) result.cause()).replyCode());
        assertFalse(ch.isOpen());
        ch.finishAndReleaseAll();
    }
}
