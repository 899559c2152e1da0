package mpgw.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import mpgw.jni.ClientSocketOptions;
import mpgw.jni.MptcpChannels;
import mpgw.jni.MptcpInfo;
import mpgw.jni.MptcpMode;
import mpgw.jni.MptcpSocketFactory;
import mpgw.jni.SubflowInfo;
import mpgw.testing.Collector;
import mpgw.testing.Netns;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Router A and router B as two namespaces joined by two veth links, each shaped to 40 Mbit/s: an MPTCP client
 * (through the jni) runs one CONNECT through the socks-server, which signals its second address, and the
 * connection gets a subflow on each link, both carrying the relayed bytes.
 */
class MptcpTwoLinkTest {
    private static Netns routerA;
    private static Netns routerB;
    private static TestServer server;
    private static TcpEcho echo;

    @BeforeAll
    static void topology() throws Exception {
        routerA = Netns.create("mpgwsrv-a");
        routerB = Netns.create("mpgwsrv-b");
        Netns.link(routerA, "l1", "10.211.1.1/24", routerB, "l1", "10.211.1.2/24");
        Netns.link(routerA, "l2", "10.211.2.1/24", routerB, "l2", "10.211.2.2/24");
        for (Netns ns : new Netns[] {routerA, routerB}) {
            ns.exec("sysctl -qw net.mptcp.enabled=1 && ip mptcp limits set subflows 4 add_addr_accepted 4"
                    + " && for d in l1 l2; do tc qdisc add dev $d root tbf rate 40mbit burst 32kb latency 50ms; done");
        }
        routerB.exec("ip mptcp endpoint add 10.211.2.2 dev l2 signal");
        // The listener takes joins on both addresses only when bound to the wildcard.
        server = TestServer.startIn(routerB, TestServer.ALLOW_LOOPBACK
                + "\nlisten = [\"0.0.0.0:0\"]\nmptcp = required");
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
    void oneSocksConnectionUsesBothLinks() throws Exception {
        int half = 4 * 1024 * 1024;
        int replyBytes = 2 + 10;
        Collector collector = new Collector(replyBytes + 2 * half);
        MptcpSocketFactory sockets = new MptcpSocketFactory(MptcpMode.REQUIRED);
        InetSocketAddress proxy = new InetSocketAddress("10.211.1.2", server.address().getPort());
        Channel ch = routerA.call(() -> new Bootstrap().group(Loops.GROUP)
                .channelFactory(MptcpChannels.client(sockets, false, ClientSocketOptions.NONE))
                .handler(collector).connect(proxy).sync().channel());
        try {
            byte[] payload = new byte[half];
            for (int i = 0; i < half; i++) {
                payload[i] = (byte) (i * 31);
            }
            // Greeting, request and the first half of the payload in one write (pipelined).
            ch.writeAndFlush(Unpooled.wrappedBuffer(Wire.greeting(0), Wire.request(1, echo.address()), payload)).sync();
            MptcpInfo first = awaitSubflows(ch, 2);
            ch.writeAndFlush(Unpooled.wrappedBuffer(payload)).sync();
            byte[] received = collector.await();
            MptcpInfo second = MptcpInfo.of(ch);

            assertArrayEquals(new byte[] {5, 0, 5, 0}, Arrays.copyOfRange(received, 0, 4), "method, then success");
            assertArrayEquals(payload, Arrays.copyOfRange(received, replyBytes, replyBytes + half));
            assertArrayEquals(payload, Arrays.copyOfRange(received, replyBytes + half, received.length));
            assertEquals(2, second.subflows().size(), second.toString());
            Map<String, Long> before = sentByLocalAddress(first);
            Map<String, Long> after = sentByLocalAddress(second);
            assertEquals(java.util.Set.of("10.211.1.1", "10.211.2.1"), after.keySet(), "one subflow per link");
            for (String local : after.keySet()) {
                long grew = after.get(local) - before.getOrDefault(local, 0L);
                assertTrue(grew > 256 * 1024, "subflow from " + local + " carried " + grew + " bytes: " + second);
            }
        } finally {
            ch.close().sync();
        }
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

    private static Map<String, Long> sentByLocalAddress(MptcpInfo info) {
        Map<String, Long> sent = new HashMap<>();
        for (SubflowInfo s : info.subflows()) {
            sent.put(s.local().getAddress().getHostAddress(), s.bytesSent());
        }
        return sent;
    }
}
