package mpgw.gateway.upstream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.concurrent.Promise;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The SOCKS5 client handshake on an {@link EmbeddedChannel}: bytes out, replies in, in every split. */
class Socks5ClientHandshakeTest {
    private static final InetSocketAddress PROXY = new InetSocketAddress("10.1.1.2", 1080);
    private static final InetSocketAddress DEST = new InetSocketAddress("192.168.80.2", 7000);
    private static final byte[] GREETING_NONE = hex("050100");
    private static final byte[] GREETING_PASSWORD = hex("050102");
    private static final byte[] CREDENTIALS = hex("0102" + "6777" + "02" + "7077"); // "gw" / "pw"
    private static final byte[] CONNECT = hex("050100" + "01" + "c0a85002" + "1b58");
    private static final byte[] CONNECT_OK = hex("05000001" + "0a010102" + "0438");

    private final EmbeddedChannel ch = new EmbeddedChannel();
    private final Promise<Channel> result = ch.eventLoop().newPromise();

    private Socks5ClientHandshake handshake(boolean auth, boolean pipelined, String early) {
        Socks5ClientSettings settings = new Socks5ClientSettings(auth ? "gw" : null, "pw", pipelined,
                Duration.ofMillis(500), 65536);
        ByteBuf[] data = {Unpooled.copiedBuffer(early, StandardCharsets.US_ASCII)};
        EarlyData earlyData = () -> {
            ByteBuf b = data[0];
            data[0] = Unpooled.EMPTY_BUFFER;
            return b;
        };
        return new Socks5ClientHandshake(PROXY, DEST, settings, earlyData, result);
    }

    @ParameterizedTest(name = "replies split in pieces of {0} bytes")
    @ValueSource(ints = {1, 2, 3, 100})
    void pipelinedSendsEverythingAtOnceAndPassesOnBytesAfterTheReply(int piece) {
        ch.pipeline().addLast(handshake(true, true, "hello"));
        assertArrayEquals(concat(GREETING_PASSWORD, CREDENTIALS, CONNECT, "hello".getBytes(StandardCharsets.US_ASCII)),
                outbound());
        feed(concat(hex("0502"), hex("0100"), CONNECT_OK, "first".getBytes(StandardCharsets.US_ASCII)), piece);
        assertTrue(result.isSuccess(), String.valueOf(result.cause()));
        assertNull(ch.pipeline().get(Socks5ClientHandshake.class), "the handshake removes itself");
        assertEquals("first", inbound());
        assertFalse(ch.finish());
    }

    @Test
    void stepByStepWaitsForEachReplyAndSendsEarlyDataLast() {
        ch.pipeline().addLast(handshake(true, false, "hello"));
        assertArrayEquals(GREETING_PASSWORD, outbound());
        ch.writeInbound(Unpooled.wrappedBuffer(hex("0502")));
        assertArrayEquals(CREDENTIALS, outbound());
        ch.writeInbound(Unpooled.wrappedBuffer(hex("0100")));
        assertArrayEquals(CONNECT, outbound());
        assertFalse(result.isDone());
        ch.writeInbound(Unpooled.wrappedBuffer(CONNECT_OK));
        assertArrayEquals("hello".getBytes(StandardCharsets.US_ASCII), outbound());
        assertTrue(result.isSuccess());
        assertFalse(ch.finish());
    }

    @Test
    void aRefusedConnectFailsWithTheReplyCodeAndCloses() {
        ch.pipeline().addLast(handshake(false, true, ""));
        assertArrayEquals(concat(GREETING_NONE, CONNECT), outbound());
        ch.writeInbound(Unpooled.wrappedBuffer(concat(hex("0500"), hex("05050001" + "00000000" + "0000"))));
        Socks5HandshakeException e = (Socks5HandshakeException) result.cause();
        assertEquals(5, e.replyCode());
        assertTrue(e.getMessage().contains("proxy=10.1.1.2:1080 dest=192.168.80.2:7000 status=CONNECTION_REFUSED"),
                e.getMessage());
        assertFalse(ch.isOpen());
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void aRejectedLoginFailsNamingTheUser() {
        ch.pipeline().addLast(handshake(true, false, ""));
        outbound();
        ch.writeInbound(Unpooled.wrappedBuffer(hex("0502")));
        outbound();
        ch.writeInbound(Unpooled.wrappedBuffer(hex("0101")));
        assertTrue(result.cause().getMessage().contains("authentication failed for user 'gw'"));
        assertFalse(ch.isOpen());
        ch.finishAndReleaseAll();
    }

    @Test
    void aServerThatOffersNoAcceptableMethodFails() {
        ch.pipeline().addLast(handshake(false, true, ""));
        outbound();
        ch.writeInbound(Unpooled.wrappedBuffer(hex("05ff")));
        assertTrue(result.cause().getMessage().contains("accepts none of the offered auth methods"));
        assertEquals(Socks5HandshakeException.NO_REPLY, ((Socks5HandshakeException) result.cause()).replyCode());
        ch.finishAndReleaseAll();
    }

    @Test
    void notSocks5IsAProtocolError() {
        ch.pipeline().addLast(handshake(false, true, ""));
        outbound();
        ch.writeInbound(Unpooled.wrappedBuffer("HTTP/1.1 400 Bad Request\r\n".getBytes(StandardCharsets.US_ASCII)));
        assertTrue(result.cause().getMessage().contains("bad method reply: unsupported version: 72"),
                result.cause().getMessage());
        assertFalse(ch.isOpen());
        ch.finishAndReleaseAll();
    }

    @Test
    void silenceEndsInATimeout() {
        ch.pipeline().addLast(handshake(false, true, ""));
        outbound();
        ch.advanceTimeBy(600, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        Socks5HandshakeException e = (Socks5HandshakeException) result.cause();
        assertTrue(e.isTimeout());
        assertTrue(e.getMessage().contains("timeout after 500 ms waiting for the method reply"), e.getMessage());
        assertFalse(ch.isOpen());
        ch.finishAndReleaseAll();
    }

    @Test
    void aCloseBeforeTheReplyFails() {
        ch.pipeline().addLast(handshake(false, false, ""));
        outbound();
        ch.close();
        assertTrue(result.cause().getMessage().contains("server closed the connection before the method reply"));
        ch.finishAndReleaseAll();
    }

    private void feed(byte[] bytes, int piece) {
        for (int i = 0; i < bytes.length; i += piece) {
            ch.writeInbound(Unpooled.copiedBuffer(bytes, i, Math.min(piece, bytes.length - i)));
        }
    }

    /** Everything written so far, as one array. */
    private byte[] outbound() {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        ByteBuf b;
        while ((b = ch.readOutbound()) != null) {
            all.writeBytes(ByteBufUtil.getBytes(b));
            b.release();
        }
        return all.toByteArray();
    }

    private String inbound() {
        StringBuilder s = new StringBuilder();
        ByteBuf b;
        while ((b = ch.readInbound()) != null) {
            s.append(b.toString(StandardCharsets.US_ASCII));
            b.release();
        }
        return s.toString();
    }

    private static byte[] hex(String s) {
        return HexFormat.of().parseHex(s);
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }
}
