package mpgw.jni;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelException;
import io.netty.channel.ChannelFuture;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.LinuxSocket;
import io.netty.channel.socket.SocketProtocolFamily;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import mpgw.testing.Collector;
import mpgw.testing.EchoServer;
import mpgw.testing.Netns;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** SO_ORIGINAL_DST behind real REDIRECT rules, SO_MARK seen by a real mark rule, and MPTCP switched off. */
class KernelFeaturesInNamespaceTest {
    private static Netns ns;
    private static EventLoopGroup group;

    @BeforeAll
    static void setUp() throws Exception {
        ns = Netns.create("mpgwjni-k");
        // A veth pair gives the "remote" destinations a route; nothing answers there but our listener.
        ns.exec("ip link add d0 type veth peer name d1 && ip link set d0 up && ip link set d1 up"
                + " && ip addr add 10.202.0.1/24 dev d0"
                + " && ip addr add fd00:202::1/64 dev d0 nodad");
        group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    }

    @AfterAll
    static void tearDown() {
        group.shutdownGracefully().syncUninterruptibly();
        ns.close();
    }

    @ParameterizedTest(name = "{0} via listener on {2}")
    @CsvSource({
        "iptables,  10.202.0.9,  0.0.0.0",
        "ip6tables, fd00:202::9, ::",
        "iptables,  10.202.0.8,  ::",   // IPv4 flow on a dual-stack listener is still answered with SO_ORIGINAL_DST
    })
    void redirectedConnectionReportsItsOriginalDestination(String tool, String dest, String listen) throws Exception {
        boolean ipv6Listener = listen.contains(":");
        try (EchoServer listener = ns.call(() -> new EchoServer(group,
                () -> new EpollServerSocketChannel(ipv6Listener ? SocketProtocolFamily.INET6 : SocketProtocolFamily.INET),
                new InetSocketAddress(listen, 0)))) {
            int port = listener.address().getPort();
            ns.exec(tool + " -t nat -A OUTPUT -p tcp -d " + dest + " --dport 80 -j REDIRECT --to-ports " + port);
            try {
                ns.call(() -> {
                    try (Socket s = new Socket(dest, 80)) {
                        s.setSoTimeout(10_000);
                        Channel accepted = listener.nextAccepted();
                        InetSocketAddress original = OriginalDestination.of(accepted);
                        assertEquals(new InetSocketAddress(dest, 80), original);
                        s.getOutputStream().write(1);
                        assertEquals(1, s.getInputStream().read(), "the redirected connection itself works");
                    }
                    return null;
                });
            } finally {
                ns.exec(tool + " -t nat -F OUTPUT");
            }
        }
    }

    @Test
    void originalDestinationOfAnUnredirectedSocketIsAClearError() throws Exception {
        try (EchoServer listener = ns.call(() -> new EchoServer(group,
                () -> new EpollServerSocketChannel(SocketProtocolFamily.INET), new InetSocketAddress("127.0.0.1", 0)))) {
            ns.call(() -> {
                try (Socket s = new Socket("127.0.0.1", listener.address().getPort())) {
                    NativeIoException e = assertThrows(NativeIoException.class,
                            () -> OriginalDestination.of(listener.nextAccepted()));
                    assertTrue(e.getMessage().startsWith("getsockopt(SO_ORIGINAL_DST): ENOENT"), e.getMessage());
                }
                return null;
            });
        }
    }

    @Test
    void soMarkIsSetBeforeConnectAndMatchedByAnIptablesMarkRule() throws Exception {
        ns.exec("iptables -t mangle -A OUTPUT -p tcp -m mark --mark 0x2a -j ACCEPT");
        try (EchoServer echo = ns.call(() -> new EchoServer(group,
                MptcpChannels.server(new MptcpSocketFactory(MptcpMode.REQUIRED), false),
                new InetSocketAddress("127.0.0.1", 0)))) {
            Collector collector = new Collector(4);
            Channel ch = ns.call(() -> new Bootstrap().group(group)
                    .channelFactory(MptcpChannels.client(new MptcpSocketFactory(MptcpMode.REQUIRED), false,
                            ClientSocketOptions.mark(0x2a)))
                    .handler(collector).connect(echo.address()).sync().channel());
            ch.writeAndFlush(Unpooled.wrappedBuffer(new byte[4]));
            collector.await();
            assertEquals(0x2a, SocketOptions.mark(ch));
            ch.close().sync();
            // The SYN and the data segments carried the mark: the rule counted them.
            assertTrue(markRulePackets() >= 3, "mark rule packets: " + markRulePackets());
        } finally {
            ns.exec("iptables -t mangle -F OUTPUT");
        }
    }

    private static long markRulePackets() throws Exception {
        String out = ns.exec("iptables -t mangle -L OUTPUT -v -x -n");
        Matcher m = Pattern.compile("(?m)^\\s*(\\d+)\\s+\\d+\\s+ACCEPT.*mark match 0x2a").matcher(out);
        assertTrue(m.find(), out);
        return Long.parseLong(m.group(1));
    }

    @Test
    void mptcpDisabledInTheNamespace() throws Exception {
        try (Netns off = Netns.create("mpgwjni-off")) {
            off.exec("sysctl -qw net.mptcp.enabled=0");
            off.call(() -> {
                MptcpSocketFactory preferred = new MptcpSocketFactory(MptcpMode.PREFERRED);
                LinuxSocket socket = preferred.newStreamSocket(false);
                try {
                    assertFalse(MptcpSocketFactory.isMptcpSocket(socket), "fell back to TCP");
                    assertEquals(1, preferred.fallbacks());
                } finally {
                    socket.close();
                }

                MptcpSocketFactory required = new MptcpSocketFactory(MptcpMode.REQUIRED);
                IOException e = assertThrows(IOException.class, () -> required.newStreamSocket(false));
                assertTrue(e.getMessage().contains("net.mptcp.enabled=1"), e.getMessage());

                ChannelFuture f = new Bootstrap().group(group)
                        .channelFactory(MptcpChannels.client(required, false, ClientSocketOptions.NONE))
                        .handler(new Collector(1)).connect(new InetSocketAddress("127.0.0.1", 9)).await();
                assertTrue(f.cause() instanceof ChannelException, String.valueOf(f.cause()));
                assertTrue(f.cause().getMessage().contains("MPTCP is required"), f.cause().getMessage());
                return null;
            });
        }
    }
}
