package mpgw.jni;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import java.net.InetSocketAddress;
import java.util.Random;
import mpgw.testing.Collector;
import mpgw.testing.EchoServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** MPTCP channels from the jni driven by Netty's epoll transport, on loopback. */
class MptcpChannelsTest {
    private static EventLoopGroup group;
    private static final MptcpSocketFactory SOCKETS = new MptcpSocketFactory(MptcpMode.REQUIRED);

    @BeforeAll
    static void start() {
        group = new MultiThreadIoEventLoopGroup(2, EpollIoHandler.newFactory());
    }

    @AfterAll
    static void stop() {
        group.shutdownGracefully().syncUninterruptibly();
    }

    @ParameterizedTest
    @ValueSource(strings = {"127.0.0.1", "::1"})
    void echoesOverMptcpAndReportsMptcpNotFallback(String host) throws Exception {
        boolean ipv6 = host.contains(":");
        try (EchoServer server = new EchoServer(group, MptcpChannels.server(SOCKETS, ipv6),
                new InetSocketAddress(host, 0))) {
            byte[] payload = new byte[256 * 1024];
            new Random(1).nextBytes(payload);
            Collector collector = new Collector(payload.length);
            ChannelFuture connect = new Bootstrap().group(group)
                    .channelFactory(MptcpChannels.client(SOCKETS, ipv6, ClientSocketOptions.NONE))
                    .handler(collector).connect(server.address());
            Channel ch = connect.sync().channel();
            ch.writeAndFlush(Unpooled.wrappedBuffer(payload));
            assertArrayEquals(payload, collector.await());
            assertEquals(1, collector.activeCalls.get(), "channelActive fires exactly once");

            MptcpInfo client = MptcpInfo.of(ch);
            Channel acceptedChannel = server.nextAccepted();
            MptcpInfo accepted = MptcpInfo.of(acceptedChannel);
            assertTrue(client.mptcp(), "client socket is MPTCP: " + client);
            assertTrue(accepted.mptcp(), "accepted socket is MPTCP: " + accepted);
            assertTrue(client.subflowsTotal() >= 1 && client.subflows().get(0).bytesSent() >= payload.length,
                    "subflow counters: " + client);
            assertTrue(MptcpSocketFactory.isMptcpSocket(((io.netty.channel.unix.UnixChannel) ch).fd()));
            // The daemons rely on the epoll channel's own default instead of setting TCP_NODELAY again per flow.
            assertTrue(ch.config().getOption(ChannelOption.TCP_NODELAY), "client TCP_NODELAY");
            assertTrue(acceptedChannel.config().getOption(ChannelOption.TCP_NODELAY), "accepted TCP_NODELAY");
            ch.close().sync();
        }
    }

    @Test
    void failedConnectFailsTheFutureWithTheErrnoAndNeverFiresActive() throws Exception {
        // Bind a listener and close it again: its port is then known to refuse.
        InetSocketAddress refused;
        try (EchoServer server = new EchoServer(group, MptcpChannels.server(SOCKETS, false),
                new InetSocketAddress("127.0.0.1", 0))) {
            refused = server.address();
        }
        Collector collector = new Collector(1);
        ChannelFuture connect = new Bootstrap().group(group)
                .channelFactory(MptcpChannels.client(SOCKETS, false, ClientSocketOptions.NONE))
                .handler(collector).connect(refused).await();
        assertFalse(connect.isSuccess());
        assertTrue(String.valueOf(connect.cause().getMessage()).contains("Connection refused"),
                "cause names the errno: " + connect.cause());
        connect.channel().closeFuture().await();
        assertEquals(0, collector.activeCalls.get(), "an unconnected MPTCP socket must not look active");
    }

    @Test
    void mptcpClientToPlainTcpServerFallsBackAndInfoSaysSo() throws Exception {
        try (EchoServer server = new EchoServer(group, EpollServerSocketChannel::new,
                new InetSocketAddress("127.0.0.1", 0))) {
            Collector collector = new Collector(5);
            Channel ch = new Bootstrap().group(group)
                    .channelFactory(MptcpChannels.client(SOCKETS, false, ClientSocketOptions.NONE))
                    .handler(collector).connect(server.address()).sync().channel();
            ch.writeAndFlush(Unpooled.wrappedBuffer("hello".getBytes()));
            collector.await();
            MptcpInfo info = MptcpInfo.of(ch);
            assertFalse(info.mptcp(), "a TCP peer makes the connection fall back: " + info);
            assertTrue(info.subflows().isEmpty());
            ch.close().sync();
        }
    }

    @Test
    void nativeLibraryLoadsFromTheJar() {
        assertTrue(NativeLibrary.isAvailable(), () -> String.valueOf(NativeLibrary.unavailabilityCause()));
    }
}
