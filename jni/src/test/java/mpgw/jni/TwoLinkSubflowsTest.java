package mpgw.jni;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.Map;
import mpgw.testing.Collector;
import mpgw.testing.EchoServer;
import mpgw.testing.Netns;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Two namespaces joined by two veth links, each shaped to 40 Mbit/s so that one link alone cannot
 * carry the transfer: one MPTCP connection made through the jni gets a second subflow (the server
 * signals its second address) and both subflows' byte counters grow.
 */
class TwoLinkSubflowsTest {
    private static Netns client;
    private static Netns server;
    private static EventLoopGroup group;

    @BeforeAll
    static void topology() throws Exception {
        client = Netns.create("mpgwjni-c");
        server = Netns.create("mpgwjni-s");
        Netns.link(client, "l1", "10.201.1.1/24", server, "l1", "10.201.1.2/24");
        Netns.link(client, "l2", "10.201.2.1/24", server, "l2", "10.201.2.2/24");
        for (Netns ns : new Netns[] {client, server}) {
            ns.exec("sysctl -qw net.mptcp.enabled=1 && ip mptcp limits set subflows 4 add_addr_accepted 4"
                    + " && for d in l1 l2; do tc qdisc add dev $d root tbf rate 40mbit burst 32kb latency 50ms; done");
        }
        server.exec("ip mptcp endpoint add 10.201.2.2 dev l2 signal");
        group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    }

    @AfterAll
    static void teardown() {
        if (group != null) {
            group.shutdownGracefully().syncUninterruptibly();
        }
        if (client != null) {
            client.close();
        }
        if (server != null) {
            server.close();
        }
    }

    @ParameterizedTest(name = "legacy info path = {0}")
    @ValueSource(booleans = {false, true})
    void oneConnectionUsesBothLinks(boolean legacyInfo) throws Exception {
        MptcpSocketFactory sockets = new MptcpSocketFactory(MptcpMode.REQUIRED);
        // The listener must accept joins on the signalled address too: a listener bound to 10.201.1.2 alone
        // makes the kernel refuse the MP_JOIN that arrives for 10.201.2.2.
        try (EchoServer echo = server.call(() -> new EchoServer(group, MptcpChannels.server(sockets, false),
                new InetSocketAddress("0.0.0.0", 0)))) {
            int total = 8 * 1024 * 1024;
            Collector collector = new Collector(total);
            Channel ch = client.call(() -> new Bootstrap().group(group)
                    .channelFactory(MptcpChannels.client(sockets, false, ClientSocketOptions.NONE))
                    .handler(collector).connect(new InetSocketAddress("10.201.1.2", echo.address().getPort())).sync().channel());

            ch.writeAndFlush(Unpooled.wrappedBuffer(new byte[total / 2])).sync();
            MptcpInfo first = awaitSubflows(ch, 2, legacyInfo);
            ch.writeAndFlush(Unpooled.wrappedBuffer(new byte[total / 2])).sync();
            collector.await();
            MptcpInfo second = MptcpInfo.of(ch, legacyInfo);

            assertTrue(second.mptcp());
            assertEquals(!legacyInfo, second.fullInfo(), "info path");
            assertEquals(2, second.subflows().size(), second.toString());
            Map<String, Long> before = sentByLocalAddress(first);
            Map<String, Long> after = sentByLocalAddress(second);
            assertEquals(Map.of("10.201.1.1", true, "10.201.2.1", true),
                    Map.of("10.201.1.1", after.containsKey("10.201.1.1"), "10.201.2.1", after.containsKey("10.201.2.1")),
                    "one subflow per link: " + second);
            for (String local : after.keySet()) {
                long grew = after.get(local) - before.getOrDefault(local, 0L);
                assertTrue(grew > 256 * 1024, "subflow from " + local + " carried " + grew + " bytes of the second half: "
                        + second);
            }
            ch.close().sync();
        }
    }

    private static MptcpInfo awaitSubflows(Channel ch, int wanted, boolean legacy) throws Exception {
        long deadline = System.nanoTime() + 10_000_000_000L;
        MptcpInfo info = MptcpInfo.of(ch, legacy);
        while (info.establishedSubflows() < wanted && System.nanoTime() < deadline) {
            Thread.sleep(20);
            info = MptcpInfo.of(ch, legacy);
        }
        assertTrue(info.establishedSubflows() >= wanted, "subflows: " + info);
        return info;
    }

    private static Map<String, Long> sentByLocalAddress(MptcpInfo info) {
        Map<String, Long> sent = new HashMap<>();
        for (SubflowInfo s : info.subflows()) {
            sent.put(s.local().getAddress().getHostAddress(), s.bytesSent());
        }
        return sent;
    }
}
