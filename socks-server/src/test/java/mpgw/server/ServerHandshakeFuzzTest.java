package mpgw.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.socksx.v5.Socks5InitialRequestDecoder;
import io.netty.handler.codec.socksx.v5.Socks5ServerEncoder;
import io.netty.util.ReferenceCountUtil;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.List;
import mpgw.config.ConfigFiles;
import mpgw.connection.ConnectionRecord;
import mpgw.daemon.Listeners;

/**
 * Fuzz target for the socks-server's handshake: greeting (RFC 1928 §3), username/password (RFC 1929) and request
 * (RFC 1928 §4), through the pipeline pieces {@link ClientChannelInitializer} installs ({@link
 * HandshakeTimeoutHandler}, codec-socks' {@link Socks5InitialRequestDecoder} and its successors, {@link
 * Socks5ServerEncoder}, {@link Socks5HandshakeHandler} with {@link CommandRequestDecoder}) on an {@link
 * EmbeddedChannel}, so one run takes microseconds and never touches the network.
 *
 * <p>The context denies every destination and names 127.0.0.1:1 as its only DNS server, so a decoded request ends
 * in a reply (FORBIDDEN, HOST_UNREACHABLE, or FAILURE where a command needs a socket the embedded event loop cannot
 * register: those runs end at the request, see {@link SocketCommandStop}), never in traffic. Input: byte 0 is the piece size (0: all at once), bit 0 of byte 1 turns on password
 * auth (user {@code alice}, password {@code s3cret}), the rest is what the client sends.
 *
 * <p>Invariants: no exception reaches the end of the pipeline; everything written is encoded bytes, and the first
 * reply is a SOCKS5 method selection; a closed connection was answered; a connection still in the handshake has
 * read no more than the longest greeting, login and request together (nothing accumulates); the connection's log
 * line is one line of printable text whatever the peer sent (D2); every buffer fed is released. Regression inputs:
 * {@code ServerHandshakeFuzzTestInputs/handshake/}.
 */
class ServerHandshakeFuzzTest {
    /** Greeting (2 + 255) + login (3 + 255 + 255) + request (4 + 1 + 255 + 2), with room to spare. */
    private static final int LONGEST_HANDSHAKE = 257 + 513 + 262;
    private static final String HOCON = "listen = [\"127.0.0.1:0\"]\n"
            + "destinations { deny = [\"0.0.0.0/0\", \"::/0\"], deny-own-addresses = false }\n"
            + "dns.servers = [\"127.0.0.1:1\"]\ntimeouts.dns = 100ms\n";
    private static final ServerContext OPEN = context("");
    private static final ServerContext PASSWORD = context(
            "auth { method = password, users = [ { user = alice, password = \"s3cret\" } ] }\n");

    private static ServerContext context(String extra) {
        ServerSettings settings = ServerSettings.from(ConfigFiles.fromString(HOCON + extra, ServerSettings.ROOT));
        return new ServerContext(settings, ServerEvents.NONE,
                new ConnectionLimits(settings.limits().maxConnections(), settings.limits().maxConnectionsPerClient()),
                new DestinationPolicy(settings.destinations(), OwnAddresses.none()),
                new DestinationResolver(settings.dnsPrefer(), settings.dnsServers(), settings.timeouts().dns()),
                new Listeners("server", "connections", ""));
    }

    /** An embedded channel with socket addresses, as the command handlers expect of a TCP client. */
    private static final class ClientChannel extends EmbeddedChannel {
        @Override
        protected SocketAddress localAddress0() {
            return new InetSocketAddress("127.0.0.1", 1080);
        }

        @Override
        protected SocketAddress remoteAddress0() {
            return new InetSocketAddress("127.0.0.1", 40000);
        }
    }

    @FuzzTest
    void handshake(byte[] input) {
        if (input.length < 2) {
            return;
        }
        int piece = input[0] & 0xff;
        ServerContext context = (input[1] & 1) != 0 ? PASSWORD : OPEN;
        EmbeddedChannel ch = new ClientChannel();
        List<String> lines = new ArrayList<>();
        ConnectionRecord.attach(ch, new InetSocketAddress("127.0.0.1", 40000), "via", r -> lines.add(r.line()));
        ch.pipeline().addLast(ServerPipeline.HANDSHAKE_TIMEOUT,
                new HandshakeTimeoutHandler(context.settings().timeouts().handshake(), context.events()));
        ch.pipeline().addLast(ServerPipeline.SOCKS_DECODER, new Socks5InitialRequestDecoder());
        ch.pipeline().addLast(ServerPipeline.SOCKS_ENCODER, Socks5ServerEncoder.DEFAULT);
        SocketCommandStop socketCommand = new SocketCommandStop();
        ch.pipeline().addLast(socketCommand);
        ch.pipeline().addLast(ServerPipeline.SOCKS_HANDSHAKE, new Socks5HandshakeHandler(context, false));

        ByteArrayOutputStream replies = new ByteArrayOutputStream();
        List<ByteBuf> fed = new ArrayList<>();
        int sent = 0;
        boolean unresolvable = false;
        for (int off = 2; off < input.length && ch.isOpen(); off += piece == 0 ? input.length : piece) {
            int n = piece == 0 ? input.length - 2 : Math.min(piece, input.length - off);
            ByteBuf chunk = Unpooled.copiedBuffer(input, off, n);
            fed.add(chunk);
            sent += n;
            try {
                ch.writeInbound(chunk); // rethrows whatever reached the end of the pipeline
            } catch (io.netty.channel.ChannelPipelineException e) {
                if (!isEmbeddedResolverLimit(e)) {
                    throw e;
                }
                unresolvable = true; // a valid domain reached the resolver: beyond this harness, end the run
                break;
            }
            ch.runPendingTasks();
            drain(ch, replies);
            if (ch.isOpen() && ch.pipeline().get(ServerPipeline.SOCKS_HANDSHAKE) != null) {
                assertTrue(sent <= LONGEST_HANDSHAKE, sent + " bytes read and still in the handshake");
            }
        }
        ch.runPendingTasks();
        drain(ch, replies);
        byte[] answer = replies.toByteArray();
        if (answer.length > 0) {
            assertTrue(answer[0] == 5, "the first reply is a method selection (VER 5)");
        }
        if (!ch.isOpen() && !unresolvable && !socketCommand.stopped) {
            assertTrue(answer.length > 0, "a closed connection was answered");
        }
        ch.close();
        ch.runPendingTasks();
        drain(ch, replies);
        ch.finishAndReleaseAll();
        for (ByteBuf chunk : fed) {
            assertEquals(0, chunk.refCnt(), "every buffer fed is released");
        }
        assertEquals(1, lines.size(), "one connection line");
        String line = lines.get(0);
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            assertFalse(c < 0x20 || c == 0x7f, "control character 0x" + Integer.toHexString(c) + " in " + line);
        }
    }

    /**
     * Ends the run at a well-formed BIND, UDP ASSOCIATE or FWD UDP request: their handlers open sockets, which an
     * {@link EmbeddedChannel}'s event loop cannot register (the failure then completes on another thread, so the run
     * would not be deterministic). What follows such a request is covered elsewhere: FWD UDP frames by
     * FwdUdpFrameDecoderFuzzTest, UDP ASSOCIATE headers by Socks5UdpHeaderFuzzTest, the commands over real sockets
     * by BindTest, UdpAssociateTest and FwdUdpTest.
     */
    private static final class SocketCommandStop extends io.netty.channel.ChannelInboundHandlerAdapter {
        boolean stopped;

        @Override
        public void channelRead(io.netty.channel.ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof SocksRequest r && r.error() == null
                    && (r.command() == SocksRequest.BIND || r.command() == SocksRequest.UDP_ASSOCIATE
                    || r.command() == SocksRequest.FWD_UDP)) {
                stopped = true;
                ctx.close();
                return;
            }
            if (stopped) {
                ReferenceCountUtil.release(msg);
                return;
            }
            ctx.fireChannelRead(msg);
        }
    }

    /**
     * Netty's DNS resolver cannot be built for an {@link EmbeddedChannel}'s event loop (it asks for the loop's
     * termination future, which the embedded loop does not have): a CONNECT or BIND to a valid domain name gets that
     * far, which is past everything this target checks. Domain requests over real sockets: ConnectTest, PolicyTest.
     */
    private static boolean isEmbeddedResolverLimit(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof UnsupportedOperationException && t.getStackTrace().length > 0
                    && t.getStackTrace()[0].getClassName().equals("io.netty.channel.embedded.EmbeddedEventLoop")) {
                return true;
            }
        }
        return false;
    }

    private static void drain(EmbeddedChannel ch, ByteArrayOutputStream replies) {
        for (Object o; (o = ch.readOutbound()) != null; ) {
            try {
                if (!(o instanceof ByteBuf b)) {
                    fail("an unencoded message was written: " + o);
                    return;
                }
                replies.writeBytes(ByteBufUtil.getBytes(b));
            } finally {
                ReferenceCountUtil.release(o);
            }
        }
    }
}
