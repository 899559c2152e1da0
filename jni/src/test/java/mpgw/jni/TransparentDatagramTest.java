package mpgw.jni;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.IoEventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.socket.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import mpgw.testing.Netns;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A TPROXY datagram listener behind real mangle TPROXY rules (IPv4 and IPv6) on a router namespace, read on
 * Netty's epoll loop; the answer goes back from a transparent socket bound to the address the client addressed.
 */
class TransparentDatagramTest {
    private static Netns client;
    private static Netns router;
    private static MultiThreadIoEventLoopGroup group;

    @BeforeAll
    static void setUp() throws Exception {
        client = Netns.create("mpgwudp-c");
        router = Netns.create("mpgwudp-r");
        Netns.link(client, "c0", "10.203.0.2/24", router, "r0", "10.203.0.1/24");
        client.exec("ip addr add fd00:203::2/64 dev c0 nodad && ip route add default via 10.203.0.1"
                + " && ip -6 route add default via fd00:203::1");
        router.exec("ip addr add fd00:203::1/64 dev r0 nodad"
                + " && sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1"
                + " && ip rule add fwmark 0x1/0x1 lookup 100 && ip route add local 0.0.0.0/0 dev lo table 100"
                + " && ip -6 rule add fwmark 0x1/0x1 lookup 100 && ip -6 route add local ::/0 dev lo table 100");
        group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    }

    @AfterAll
    static void tearDown() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        router.close();
        client.close();
    }

    @ParameterizedTest(name = "{1} via listener on {2}")
    @CsvSource({
        "iptables,  198.51.100.7, 0.0.0.0",
        "ip6tables, 2001:db8:7::7, ::",
        "iptables,  198.51.100.8, ::",   // dual-stack listener: IPv4 datagrams carry the SOL_IP cmsg
    })
    void datagramThroughTproxyReportsItsOriginalDestinationAndIsAnsweredFromIt(String tool, String dest,
                                                                               String listen) throws Exception {
        BlockingQueue<Object[]> received = new LinkedBlockingQueue<>();
        TransparentDatagramListener listener = router.call(() -> TransparentDatagramListener.open(
                (IoEventLoop) group.next(), new InetSocketAddress(listen, 0), 1000, 1 << 20,
                ByteBufAllocator.DEFAULT,
                new TransparentDatagramListener.Receiver() {
                    @Override
                    public void datagram(InetSocketAddress sender, InetSocketAddress destination, ByteBuf payload) {
                        received.add(new Object[] {sender, destination, payload.toString(StandardCharsets.UTF_8)});
                        payload.release();
                    }

                    @Override
                    public void oversized(InetSocketAddress sender, InetSocketAddress destination, int length) {
                        received.add(new Object[] {sender, destination, "oversized"});
                    }
                }).get(5, TimeUnit.SECONDS));
        int port = listener.localAddress().getPort();
        router.exec(tool + " -t mangle -A PREROUTING -p udp -d " + dest
                + " -j TPROXY --on-port " + port + " --tproxy-mark 0x1/0x1");
        Channel reply = null;
        try (DatagramSocket socket = client.call(() -> new DatagramSocket(new InetSocketAddress(dest.contains(":")
                ? "fd00:203::2" : "10.203.0.2", 0)))) {
            socket.setSoTimeout(5000);
            InetSocketAddress original = new InetSocketAddress(dest, 53);
            InetSocketAddress me = (InetSocketAddress) socket.getLocalSocketAddress();
            socket.send(new java.net.DatagramPacket("ping".getBytes(StandardCharsets.UTF_8), 4, original));

            Object[] got = received.poll(5, TimeUnit.SECONDS);
            assertNotNull(got, "nothing reached the TPROXY listener");
            assertEquals(me, got[0]);
            assertEquals(original, got[1]);
            assertEquals("ping", got[2]);

            reply = router.call(() -> new Bootstrap().group(group)
                    .channelFactory(TransparentReplyChannels.factory(dest.contains(":")))
                    .handler(new ChannelInboundHandlerAdapter())
                    .bind(original).sync().channel());
            reply.writeAndFlush(new DatagramPacket(Unpooled.copiedBuffer("pong", StandardCharsets.UTF_8), me)).sync();
            java.net.DatagramPacket answer = new java.net.DatagramPacket(new byte[64], 64);
            socket.receive(answer);
            assertEquals(original, answer.getSocketAddress(), "the answer comes from the original destination");
            assertEquals("pong", new String(answer.getData(), 0, answer.getLength(), StandardCharsets.UTF_8));

            socket.send(new java.net.DatagramPacket(new byte[1001], 1001, original));
            got = received.poll(5, TimeUnit.SECONDS);
            assertNotNull(got);
            assertEquals("oversized", got[2]);
            socket.send(new java.net.DatagramPacket(new byte[1000], 1000, original));
            assertEquals(1000, ((String) received.poll(5, TimeUnit.SECONDS)[2]).length(), "exactly the limit passes");
            assertNull(received.poll(100, TimeUnit.MILLISECONDS));
        } finally {
            if (reply != null) {
                reply.close().sync();
            }
            listener.close();
            router.exec(tool + " -t mangle -F PREROUTING");
        }
    }
}
