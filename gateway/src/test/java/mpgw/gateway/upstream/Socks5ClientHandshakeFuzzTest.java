package mpgw.gateway.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.socksx.v5.Socks5CommandType;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Promise;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Fuzz target for the gateway's side of the SOCKS5 handshake: whatever the socks-server (or anything that answers on
 * its address) replies, read by codec-socks' client decoders and judged by {@link Socks5ReplyCheck} inside {@link
 * Socks5ClientHandshake}, on an {@link EmbeddedChannel}.
 *
 * <p>Input: byte 0 is the piece size (0: all at once); byte 1 picks the variant: bit 0 password auth, bit 1
 * pipelined, bits 2-3 the command (CONNECT, UDP ASSOCIATE, FWD UDP, greeting only), bit 4 a warm (already greeted)
 * connection; the rest is the server's bytes. Invariants: no exception reaches the end of the pipeline; the result
 * fails only with a {@link Socks5HandshakeException} whose message names the proxy and is one printable line, and
 * then the channel is closed; on success the handshake and its decoders have left the pipeline; while undecided
 * the handshake has read no more than its longest replies (nothing accumulates); after a close it is decided; every
 * buffer fed or written is released. Regression inputs: {@code Socks5ClientHandshakeFuzzTestInputs/replies/}.
 */
class Socks5ClientHandshakeFuzzTest {
    private static final InetSocketAddress PROXY = new InetSocketAddress("10.1.1.2", 1080);
    private static final InetSocketAddress DEST = new InetSocketAddress("192.168.80.2", 7000);
    /** Method reply (2) + auth reply (2) + the longest command reply (4 + 1 + 255 + 2). */
    private static final int LONGEST_REPLIES = 2 + 2 + 262;
    private static final Socks5CommandType[] COMMANDS = {Socks5CommandType.CONNECT, Socks5CommandType.UDP_ASSOCIATE,
        Socks5Requests.FWD_UDP, null};

    /** Stands where the relay goes after the handshake: takes the bytes the server sent after its reply. */
    private static final class Behind extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (!(msg instanceof ByteBuf)) {
                ReferenceCountUtil.release(msg);
                fail("a decoded reply went past the handshake: " + msg);
            }
            ReferenceCountUtil.release(msg);
        }
    }

    @FuzzTest
    void replies(byte[] input) {
        if (input.length < 2) {
            return;
        }
        int piece = input[0] & 0xff;
        int variant = input[1] & 0xff;
        Socks5ClientSettings settings = new Socks5ClientSettings((variant & 1) != 0 ? "gw" : null, "pw",
                (variant & 2) != 0, Duration.ofSeconds(10), 65536);
        Socks5CommandType command = COMMANDS[(variant >> 2) & 3];
        Socks5ClientHandshake.Opening opening = (variant & 16) != 0 && command != null
                ? Socks5ClientHandshake.Opening.GREETED : Socks5ClientHandshake.Opening.FRESH;
        EmbeddedChannel ch = new EmbeddedChannel();
        Promise<Channel> result = ch.eventLoop().newPromise();
        ch.pipeline().addLast(new Socks5ClientHandshake(PROXY, command == null ? null : DEST, settings,
                EarlyData.NONE, result, command, opening));
        ch.pipeline().addLast(new Behind());
        drain(ch);
        List<ByteBuf> fed = new ArrayList<>();
        int sent = 0;
        for (int off = 2; off < input.length && ch.isOpen(); off += piece == 0 ? input.length : piece) {
            int n = piece == 0 ? input.length - 2 : Math.min(piece, input.length - off);
            ByteBuf chunk = Unpooled.copiedBuffer(input, off, n);
            fed.add(chunk);
            sent += n;
            ch.writeInbound(chunk); // rethrows whatever reached the end of the pipeline
            drain(ch);
            if (!result.isDone()) {
                assertTrue(ch.isOpen());
                assertTrue(sent <= LONGEST_REPLIES, sent + " bytes read and still undecided");
            }
        }
        if (result.isDone() && !result.isSuccess()) {
            assertTrue(result.cause() instanceof Socks5HandshakeException, String.valueOf(result.cause()));
            String message = result.cause().getMessage();
            assertTrue(message.startsWith("socks5 proxy=10.1.1.2:1080 "), message);
            for (int i = 0; i < message.length(); i++) {
                assertFalse(message.charAt(i) < 0x20, "control character in " + message);
            }
            assertFalse(ch.isOpen(), "a failed handshake closes the upstream");
        }
        if (result.isSuccess()) {
            assertNull(ch.pipeline().get(Socks5ClientHandshake.class), "the handshake leaves the pipeline");
            for (Map.Entry<String, ChannelHandler> e : ch.pipeline()) {
                assertFalse(e.getValue().getClass().getName().startsWith("io.netty.handler.codec.socksx"),
                        "a reply decoder stayed: " + e.getKey());
            }
        }
        ch.close();
        drain(ch);
        assertTrue(result.isDone(), "a close decides the handshake");
        ch.finishAndReleaseAll();
        for (ByteBuf chunk : fed) {
            assertEquals(0, chunk.refCnt(), "every buffer fed is released");
        }
    }

    private static void drain(EmbeddedChannel ch) {
        for (Object o; (o = ch.readOutbound()) != null; ) {
            boolean bytes = o instanceof ByteBuf;
            ReferenceCountUtil.release(o);
            assertTrue(bytes, "an unencoded message was written: " + o);
        }
    }
}
