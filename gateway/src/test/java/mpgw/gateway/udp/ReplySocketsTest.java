package mpgw.gateway.udp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import mpgw.testing.Netns;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Transparent reply sockets in a namespace: replies come from foreign sources; the cache is capped and ages out. */
class ReplySocketsTest {
    private static Netns ns;
    private static MultiThreadIoEventLoopGroup group;
    private static EventLoop loop;

    @BeforeAll
    static void setUp() throws Exception {
        ns = Netns.create("mpgwudp-rs");
        ns.exec("ip link add d0 type veth peer name d1 && ip link set d0 up && ip link set d1 up"
                + " && ip addr add 10.204.0.1/24 dev d0");
        group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        loop = group.next();
        ns.call(() -> loop.submit(() -> null).get()); // the loop's thread starts, and stays, in the namespace
    }

    @AfterAll
    static void tearDown() {
        if (group != null) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
        if (ns != null) {
            ns.close();
        }
    }

    @Test
    void repliesComeFromTheirSourceTheOldestSocketGoesFirstAndIdleOnesClose() throws Exception {
        AtomicInteger open = new AtomicInteger();
        UdpMetrics metrics = new UdpMetrics() {
            @Override
            public void replySockets(int delta) {
                open.addAndGet(delta);
            }
        };
        ReplySockets replies = new ReplySockets(loop, 2, TimeUnit.MILLISECONDS.toNanos(200), metrics,
                (sender, destination, payload) -> payload.release());
        try (DatagramSocket client = ns.call(() -> new DatagramSocket(new InetSocketAddress("10.204.0.1", 0)))) {
            client.setSoTimeout(5000);
            InetSocketAddress me = (InetSocketAddress) client.getLocalSocketAddress();
            for (int i = 1; i <= 3; i++) {
                InetSocketAddress source = new InetSocketAddress("198.51.100." + i, 53);
                UdpDrop drop = loop.submit(() -> replies.send(source, me,
                        Unpooled.copiedBuffer(new byte[] {(byte) 7}))).get();
                assertNull(drop);
                DatagramPacket p = new DatagramPacket(new byte[16], 16);
                client.receive(p);
                assertEquals(source, p.getSocketAddress(), "the reply comes from the address the client sent to");
            }
            assertEquals(2, loop.submit(replies::size).get(), "capped: the least recently used one was closed");
            assertEquals(2, open.get());
            // A sweep 300 ms from now (idle limit 200 ms): the clock is the sweep's argument, so no sleep is needed.
            loop.submit(() -> replies.sweep(System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(300))).get();
            assertEquals(0, loop.submit(replies::size).get(), "idle sockets are closed");
            assertEquals(0, open.get());
            UdpDrop family = loop.submit(() -> replies.send(new InetSocketAddress("2001:db8::1", 53), me,
                    Unpooled.copiedBuffer(new byte[1]))).get();
            assertEquals(UdpDrop.MALFORMED, family, "an IPv6 source cannot answer an IPv4 client socket");
        }
    }

    /**
     * Issue 16 D3 on the gateway's side: a reply the kernel refuses to send (here no route to the client: ENETUNREACH)
     * is a send-failed drop, not counted as sent, logged once per client per interval without a stack trace. With
     * the void promise it was a WARN and a stack trace at the pipeline's tail per datagram.
     */
    @Test
    void aReplyTheKernelRefusesIsADropNotAStackTracePerDatagram() throws Exception {
        AtomicInteger failed = new AtomicInteger();
        AtomicInteger sent = new AtomicInteger();
        UdpMetrics metrics = new UdpMetrics() {
            @Override
            public void dropped(UdpDrop reason) {
                if (reason == UdpDrop.SEND_FAILED) {
                    failed.incrementAndGet();
                }
            }
        };
        ReplySockets replies = new ReplySockets(loop, 2, TimeUnit.SECONDS.toNanos(30), metrics,
                (sender, destination, payload) -> payload.release());
        InetSocketAddress unroutable = new InetSocketAddress("10.205.0.9", 4000);
        InetSocketAddress source = new InetSocketAddress("198.51.100.9", 53);
        try (LogCapture log = LogCapture.open()) {
            for (int i = 0; i < 1000; i++) {
                assertNull(loop.submit(() -> replies.send(source, unroutable,
                        Unpooled.copiedBuffer(new byte[] {1}), sent::incrementAndGet)).get());
            }
            loop.submit(() -> null).get();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (failed.get() < 1000 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertEquals(1000, failed.get(), "every refused send is a drop");
            assertEquals(0, sent.get(), "none counted as sent");
            java.util.List<String> problems = log.problems();
            assertEquals(1, problems.size(), problems.subList(0, Math.min(3, problems.size())).toString());
            assertTrue(problems.get(0).contains("not sent") && !problems.get(0).contains(" / "), problems.get(0));
        } finally {
            loop.submit(replies::closeAll).get();
        }
    }
}
