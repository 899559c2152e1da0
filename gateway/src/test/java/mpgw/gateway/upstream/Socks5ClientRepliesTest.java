package mpgw.gateway.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.socksx.v5.Socks5CommandResponseDecoder;
import io.netty.handler.codec.socksx.v5.Socks5CommandType;
import io.netty.handler.codec.socksx.v5.Socks5InitialResponseDecoder;
import io.netty.handler.codec.socksx.v5.Socks5PasswordAuthResponseDecoder;
import io.netty.util.concurrent.Promise;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import mpgw.gateway.upstream.Socks5ClientHandshake.Opening;
import mpgw.gateway.upstream.Socks5HandshakeException.Kind;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link Socks5ClientHandshake} on an {@link EmbeddedChannel}, by reply kind: each command reply code, each bad
 * reply the codec-socks decoders reject, the openings (fresh, fast open, warm), greeting only, and replies split
 * at every byte. The bytes the gateway writes are in {@link Socks5ClientHandshakeTest}.
 */
class Socks5ClientRepliesTest {
    private static final InetSocketAddress PROXY = new InetSocketAddress("10.1.1.2", 1080);
    private static final InetSocketAddress DEST = new InetSocketAddress("192.168.80.2", 7000);
    private static final String CONNECT_OK = "05000001" + "0a010102" + "0438";

    private final EmbeddedChannel ch = new EmbeddedChannel();
    private final Promise<Channel> result = ch.eventLoop().newPromise();

    @AfterEach
    void nothingLeaks() {
        ch.finishAndReleaseAll();
    }

    private static Socks5ClientSettings settings(boolean auth, boolean pipelined) {
        return new Socks5ClientSettings(auth ? "gw" : null, "pw", pipelined, Duration.ofMillis(500), 65536);
    }

    private void add(Socks5ClientHandshake handshake) {
        ch.pipeline().addLast(handshake);
        drainOutbound();
    }

    private void connect(boolean auth, boolean pipelined, Opening opening) {
        add(new Socks5ClientHandshake(PROXY, DEST, settings(auth, pipelined), EarlyData.NONE, result,
                Socks5CommandType.CONNECT, opening));
    }

    private void reply(String hex) {
        ch.writeInbound(Unpooled.wrappedBuffer(ByteBufUtil.decodeHexDump(hex)));
    }

    private String outbound() {
        StringBuilder hex = new StringBuilder();
        ByteBuf b;
        while ((b = ch.readOutbound()) != null) {
            hex.append(ByteBufUtil.hexDump(b));
            b.release();
        }
        return hex.toString();
    }

    private void drainOutbound() {
        outbound();
    }

    private Socks5HandshakeException failure() {
        assertTrue(result.isDone() && !result.isSuccess(), "the handshake should have failed");
        assertFalse(ch.isOpen(), "a failed handshake closes the connection");
        return (Socks5HandshakeException) result.cause();
    }

    private void assertDecodersGone() {
        assertNull(ch.pipeline().get(Socks5InitialResponseDecoder.class));
        assertNull(ch.pipeline().get(Socks5PasswordAuthResponseDecoder.class));
        assertNull(ch.pipeline().get(Socks5CommandResponseDecoder.class));
        assertNull(ch.pipeline().get(Socks5ClientHandshake.class));
    }

    @ParameterizedTest(name = "reply code {0} is {1}")
    @CsvSource({"1, FAILURE", "2, FORBIDDEN", "3, NETWORK_UNREACHABLE", "4, HOST_UNREACHABLE",
            "5, CONNECTION_REFUSED", "6, TTL_EXPIRED", "7, COMMAND_UNSUPPORTED", "8, ADDRESS_UNSUPPORTED"})
    void everyNonZeroCommandReplyFailsWithItsCodeAndName(int code, String name) {
        connect(false, true, Opening.FRESH);
        reply("0500" + String.format("05%02x0001", code) + "00000000" + "0000");
        Socks5HandshakeException e = failure();
        assertEquals(code, e.replyCode());
        assertEquals(Kind.REFUSED, e.kind());
        assertTrue(e.getMessage().contains("proxy=10.1.1.2:1080 dest=192.168.80.2:7000 status=" + name),
                e.getMessage());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "method reply of SOCKS4,                      0400,                         bad method reply",
        "a method that was not offered,               0502,                         server chose auth method 0x2",
        "CONNECT reply of another version,            0500 04000001 0a010102 0438,  bad CONNECT reply",
        "CONNECT reply with an unknown address type,  0500 05000009 0a010102 0438,  bad CONNECT reply",
    })
    void badRepliesAreProtocolErrors(String what, String bytes, String message) {
        connect(false, true, Opening.FRESH);
        reply(bytes.replace(" ", ""));
        Socks5HandshakeException e = failure();
        assertEquals(Kind.PROTOCOL, e.kind(), what);
        assertEquals(Socks5HandshakeException.NO_REPLY, e.replyCode());
        assertTrue(e.getMessage().contains(message), e.getMessage());
    }

    @Test
    void anAuthReplyOfAnotherVersionIsAProtocolError() {
        connect(true, true, Opening.FRESH);
        reply("0502" + "0500");
        Socks5HandshakeException e = failure();
        assertEquals(Kind.PROTOCOL, e.kind());
        assertTrue(e.getMessage().contains("bad auth reply"), e.getMessage());
    }

    @Test
    void aRefusedLoginIsAnAuthFailure() {
        connect(true, true, Opening.FRESH);
        reply("0502" + "0101");
        Socks5HandshakeException e = failure();
        assertEquals(Kind.AUTH_REFUSED, e.kind());
        assertTrue(e.getMessage().contains("authentication failed for user 'gw' (status 0x1)"), e.getMessage());
    }

    @Test
    void anErrorBeforeTheReplyFails() {
        connect(false, true, Opening.FRESH);
        ch.pipeline().fireExceptionCaught(new IOException("Connection reset by peer"));
        Socks5HandshakeException e = failure();
        assertEquals(Kind.CLOSED, e.kind());
        assertTrue(e.getMessage().contains("error before the method reply: Connection reset by peer"),
                e.getMessage());
    }

    @ParameterizedTest(name = "split every {0} bytes")
    @ValueSource(ints = {1, 2, 5, 7})
    void repliesSplitAnywhereGiveTheBoundAddressAndPassOnWhatFollows(int piece) {
        connect(true, true, Opening.FRESH);
        byte[] all = ByteBufUtil.decodeHexDump("0502" + "0100" + "05000004" + "20010db8000000000000000000000001"
                + "0438" + ByteBufUtil.hexDump("payload".getBytes(StandardCharsets.US_ASCII)));
        for (int i = 0; i < all.length; i += piece) {
            ch.writeInbound(Unpooled.copiedBuffer(all, i, Math.min(piece, all.length - i)));
        }
        assertTrue(result.isSuccess(), String.valueOf(result.cause()));
        assertEquals(new InetSocketAddress("2001:db8::1", 1080), ch.attr(Socks5ClientHandshake.BOUND_ADDRESS).get());
        StringBuilder payload = new StringBuilder();
        ByteBuf b;
        while ((b = ch.readInbound()) != null) {
            payload.append(b.toString(StandardCharsets.US_ASCII));
            b.release();
        }
        assertEquals("payload", payload.toString());
        assertDecodersGone();
    }

    @Test
    void aDomainBoundAddressStaysUnresolved() {
        connect(false, true, Opening.FRESH);
        reply("0500" + "05000003" + "0b" + ByteBufUtil.hexDump("example.org".getBytes(StandardCharsets.US_ASCII))
                + "0050");
        assertTrue(result.isSuccess());
        InetSocketAddress bound = ch.attr(Socks5ClientHandshake.BOUND_ADDRESS).get();
        assertTrue(bound.isUnresolved());
        assertEquals("example.org", bound.getHostString());
    }

    @Test
    void afterFastOpenOnlyTheEarlyDataIsWrittenAndEveryReplyIsRead() {
        ch.pipeline().addLast(new Socks5ClientHandshake(PROXY, DEST, settings(false, true), early("hi"), result,
                Socks5CommandType.CONNECT, Opening.REQUEST_SENT));
        assertEquals(ByteBufUtil.hexDump("hi".getBytes(StandardCharsets.US_ASCII)), outbound());
        reply("0500" + CONNECT_OK);
        assertTrue(result.isSuccess());
    }

    @Test
    void aWarmConnectionSendsOnlyTheRequestAndReadsOnlyTheCommandReply() {
        ch.pipeline().addLast(new Socks5ClientHandshake(PROXY, DEST, settings(true, true), early("hi"), result,
                Socks5CommandType.CONNECT, Opening.GREETED));
        assertEquals("050100" + "01" + "c0a85002" + "1b58" + ByteBufUtil.hexDump("hi".getBytes(
                StandardCharsets.US_ASCII)), outbound());
        assertNull(ch.pipeline().get(Socks5InitialResponseDecoder.class), "no method reply comes");
        reply(CONNECT_OK);
        assertTrue(result.isSuccess());
        assertDecodersGone();
    }

    @Test
    void greetingOnlySucceedsAfterTheLoginAndSendsNoCommand() {
        add(Socks5ClientHandshake.greetingOnly(PROXY, settings(true, false), Opening.FRESH, result));
        reply("0502");
        assertEquals("0102" + "6777" + "02" + "7077", outbound(), "step by step: the credentials after the reply");
        assertFalse(result.isDone());
        reply("0100");
        assertTrue(result.isSuccess());
        assertEquals("", outbound(), "no command request");
        assertDecodersGone();
    }

    @Test
    void greetingOnlyAfterFastOpenWritesNothingAndFailsOnARefusedMethod() {
        ch.pipeline().addLast(Socks5ClientHandshake.greetingOnly(PROXY, settings(false, true), Opening.REQUEST_SENT,
                result));
        assertEquals("", outbound());
        reply("05ff");
        Socks5HandshakeException e = failure();
        assertEquals(Kind.PROTOCOL, e.kind());
        assertTrue(e.getMessage().startsWith("socks5 proxy=10.1.1.2:1080 server accepts none"), e.getMessage());
        assertEquals("server accepts none of the offered auth methods (offered 0x00)", e.what());
    }

    @Test
    void pipelinedEarlyBytesFollowTheRequestBeforeTheReply() {
        Runnable[] arrival = new Runnable[1];
        ByteBuf[] next = {Unpooled.EMPTY_BUFFER};
        EarlyData early = new EarlyData() {
            @Override
            public ByteBuf take() {
                ByteBuf b = next[0];
                next[0] = Unpooled.EMPTY_BUFFER;
                return b;
            }

            @Override
            public void onArrival(Runnable listener) {
                arrival[0] = listener;
            }
        };
        add(new Socks5ClientHandshake(PROXY, DEST, settings(false, true), early, result));
        next[0] = Unpooled.copiedBuffer("more", StandardCharsets.US_ASCII);
        arrival[0].run();
        assertEquals(ByteBufUtil.hexDump("more".getBytes(StandardCharsets.US_ASCII)), outbound());
        reply("0500" + CONNECT_OK);
        assertTrue(result.isSuccess());
        assertNull(arrival[0], "the handshake stops listening once done");
    }

    private static EarlyData early(String text) {
        ByteBuf[] data = {Unpooled.copiedBuffer(text, StandardCharsets.US_ASCII)};
        return () -> {
            ByteBuf b = data[0];
            data[0] = Unpooled.EMPTY_BUFFER;
            return b;
        };
    }
}
