package mpgw.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.handler.ssl.SslContext;
import java.net.InetSocketAddress;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import mpgw.jni.ClientSocketOptions;
import mpgw.jni.MptcpChannels;
import mpgw.jni.MptcpInfo;
import mpgw.jni.MptcpMode;
import mpgw.jni.MptcpSocketFactory;
import mpgw.testing.Collector;
import mpgw.testing.Netns;
import mpgw.tls.HandshakeOutcome;
import mpgw.tls.HandshakeResult;
import mpgw.tls.PinnedPeers;
import mpgw.tls.TlsContexts;
import mpgw.tls.TlsHandlers;
import mpgw.tls.TlsProvider;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * TLS over the real kernel path: router A and router B as two namespaces joined by two veth links shaped to
 * 40 Mbit/s; an MPTCP client in A with the gateway's TLS handlers (BoringSSL, {@link TlsHandlers#addClient}) runs
 * one CONNECT through the socks-server with {@code server.tls} on. The TLS records ride the MPTCP data stream:
 * the connection gets a subflow on each link, and when link 1 is cut mid-transfer the rest arrives over link 2,
 * the TLS session intact (sha256 of 12 MB echoed back).
 */
class MptcpTwoLinkTlsTest {
    private static Netns routerA;
    private static Netns routerB;
    private static TestServer server;
    private static TcpEcho echo;
    private static TlsKeys serverKeys;
    private static TlsKeys gateway;

    @BeforeAll
    static void topology() throws Exception {
        serverKeys = TlsKeys.make("router-b");
        gateway = TlsKeys.make("router-a");
        routerA = Netns.create("mpgwtls-a");
        routerB = Netns.create("mpgwtls-b");
        Netns.link(routerA, "l1", "10.212.1.1/24", routerB, "l1", "10.212.1.2/24");
        Netns.link(routerA, "l2", "10.212.2.1/24", routerB, "l2", "10.212.2.2/24");
        for (Netns ns : new Netns[] {routerA, routerB}) {
            ns.exec("sysctl -qw net.mptcp.enabled=1 && ip mptcp limits set subflows 4 add_addr_accepted 4"
                    + " && for d in l1 l2; do tc qdisc add dev $d root tbf rate 40mbit burst 32kb latency 50ms; done");
        }
        routerB.exec("ip mptcp endpoint add 10.212.2.2 dev l2 signal");
        server = TestServer.startIn(routerB, TestServer.ALLOW_LOOPBACK
                + "\nlisten = [\"0.0.0.0:0\"]\nmptcp = required" + serverKeys.serverConfig("openssl", "", gateway));
        echo = routerB.call(() -> new TcpEcho("127.0.0.1"));
    }

    @AfterAll
    static void teardown() throws Exception {
        if (echo != null) {
            echo.close();
        }
        if (server != null) {
            server.close();
        }
        if (routerA != null) {
            routerA.close();
        }
        if (routerB != null) {
            routerB.close();
        }
    }

    @Test
    void tlsOverTwoSubflowsSurvivesALinkCut() throws Exception {
        int part = 4 * 1024 * 1024;
        byte[] payload = new byte[3 * part];
        new Random(14).nextBytes(payload);
        int replyBytes = 2 + 10;
        Collector collector = new Collector(replyBytes + payload.length);
        CompletableFuture<HandshakeResult> handshake = new CompletableFuture<>();
        SslContext tls = TlsContexts.client(gateway.keys, PinnedPeers.of(List.of(serverKeys.keys.fingerprint())),
                TlsProvider.OPENSSL);
        MptcpSocketFactory sockets = new MptcpSocketFactory(MptcpMode.REQUIRED);
        InetSocketAddress proxy = new InetSocketAddress("10.212.1.2", server.address().getPort());
        Channel ch = routerA.call(() -> new Bootstrap().group(Loops.GROUP)
                .channelFactory(MptcpChannels.client(sockets, false, ClientSocketOptions.NONE))
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel c) {
                        TlsHandlers.addClient(c.pipeline(), tls, proxy.getHostString(), proxy.getPort(),
                                Duration.ofSeconds(5), (channel, result) -> handshake.complete(result));
                        c.pipeline().addLast(collector);
                    }
                }).connect(proxy).sync().channel());
        try {
            // Greeting, request and the first part written before the handshake ends (SslHandler queues them).
            ch.writeAndFlush(Unpooled.wrappedBuffer(Wire.greeting(0), Wire.request(1, echo.address()),
                    Arrays.copyOfRange(payload, 0, part))).sync();
            assertEquals(HandshakeOutcome.OK, handshake.get(10, TimeUnit.SECONDS).outcome());
            MptcpInfo two = awaitSubflows(ch, 2);
            assertEquals(2, two.establishedSubflows(), two.toString());
            ch.writeAndFlush(Unpooled.wrappedBuffer(Arrays.copyOfRange(payload, part, 2 * part))).sync();
            long link2Before = sentFrom(MptcpInfo.of(ch), "10.212.2.1");
            routerA.exec("ip link set l1 down");
            ch.writeAndFlush(Unpooled.wrappedBuffer(Arrays.copyOfRange(payload, 2 * part, 3 * part))).sync();
            byte[] received = collector.await();

            assertArrayEquals(new byte[] {5, 0, 5, 0}, Arrays.copyOfRange(received, 0, 4), "method, then success");
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            assertArrayEquals(sha.digest(payload), sha.digest(Arrays.copyOfRange(received, replyBytes,
                    received.length)), "12 MB echoed intact through TLS over MPTCP, link 1 cut after 8 MB");
            assertTrue(ch.isActive(), "the TLS session survived the cut");
            long link2Grew = sentFrom(MptcpInfo.of(ch), "10.212.2.1") - link2Before;
            assertTrue(link2Grew > part / 2, "link 2 carried " + link2Grew + " bytes after the cut");
            assertEquals(1, server.events.tls(HandshakeOutcome.OK));
        } finally {
            ch.close().sync();
            routerA.exec("ip link set l1 up");
        }
    }

    private static long sentFrom(MptcpInfo info, String local) {
        return info.subflows().stream().filter(s -> s.local().getAddress().getHostAddress().equals(local))
                .mapToLong(mpgw.jni.SubflowInfo::bytesSent).sum();
    }

    private static MptcpInfo awaitSubflows(Channel ch, int wanted) throws Exception {
        long deadline = System.nanoTime() + 10_000_000_000L;
        MptcpInfo info = MptcpInfo.of(ch);
        while (info.establishedSubflows() < wanted && System.nanoTime() < deadline) {
            Thread.sleep(20);
            info = MptcpInfo.of(ch);
        }
        assertTrue(info.establishedSubflows() >= wanted, "subflows: " + info);
        return info;
    }
}
