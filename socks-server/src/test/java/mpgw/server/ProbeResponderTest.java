package mpgw.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import mpgw.config.Cidr;
import mpgw.paths.LinkProbePacket;
import org.junit.jupiter.api.Test;

/** The probe responder on loopback: what it answers, with what, and what it drops without a word on the wire. */
class ProbeResponderTest {
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    private static ProbeResponder start(String allow, int perSecond, SimpleMeterRegistry registry) throws Exception {
        return ProbeResponder.start(new ProbeResponder.Settings(true, new InetSocketAddress(LOOPBACK, 0),
                List.of(Cidr.parse(allow)), perSecond), registry, null).orElseThrow();
    }

    private static byte[] probe(long seq) {
        ByteBuffer b = LinkProbePacket.request(seq, 42);
        return Arrays.copyOf(b.array(), b.remaining());
    }

    /** Sends {@code payload} and returns the reply, or null when none comes within 300 ms. */
    private static byte[] exchange(DatagramSocket s, InetSocketAddress to, byte[] payload) throws Exception {
        s.send(new DatagramPacket(payload, payload.length, to));
        DatagramPacket reply = new DatagramPacket(new byte[2048], 2048);
        s.setSoTimeout(300);
        try {
            s.receive(reply);
            return Arrays.copyOf(reply.getData(), reply.getLength());
        } catch (SocketTimeoutException e) {
            return null;
        }
    }

    private static double drops(SimpleMeterRegistry r, String reason) {
        return r.get("mpgw.server.probe.drops").tag("reason", reason).counter().count();
    }

    @Test
    void aProbeComesBackByteForByteAndNothingElseDoes() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (ProbeResponder r = start("127.0.0.0/8", 100, registry); DatagramSocket s = new DatagramSocket(0, LOOPBACK)) {
            InetSocketAddress to = r.localAddress();
            assertArrayEquals(probe(7), exchange(s, to, probe(7)));
            byte[] longer = Arrays.copyOf(probe(8), LinkProbePacket.SIZE + 100);
            assertEquals(null, exchange(s, to, longer), "a longer datagram would make it a reflector");
            assertEquals(null, exchange(s, to, Arrays.copyOf(probe(9), 16)));
            byte[] wrongMagic = probe(10);
            wrongMagic[0] = 'X';
            assertEquals(null, exchange(s, to, wrongMagic));
            assertEquals(3, drops(registry, "malformed"));
            assertEquals(1, registry.get("mpgw.server.probe.replies").counter().count());
        }
    }

    @Test
    void aSourceOutsideAllowGetsNothing() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (ProbeResponder r = start("10.0.0.0/8", 100, registry); DatagramSocket s = new DatagramSocket(0, LOOPBACK)) {
            assertEquals(null, exchange(s, r.localAddress(), probe(1)));
            assertEquals(1, drops(registry, "not-allowed"));
        }
    }

    @Test
    void repliesPerSecondAreCapped() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (ProbeResponder r = start("127.0.0.0/8", 5, registry); DatagramSocket s = new DatagramSocket(0, LOOPBACK)) {
            for (int i = 0; i < 20; i++) {
                byte[] p = probe(i);
                s.send(new DatagramPacket(p, p.length, r.localAddress()));
            }
            s.setSoTimeout(300);
            int replies = 0;
            while (true) {
                try {
                    s.receive(new DatagramPacket(new byte[64], 64));
                    replies++;
                } catch (SocketTimeoutException e) {
                    break;
                }
            }
            assertEquals(5, replies);
            assertEquals(15, drops(registry, "rate"));
        }
    }

    @Test
    void offByDefaultMeansNoSocket() throws Exception {
        assertEquals(java.util.Optional.empty(), ProbeResponder.start(new ProbeResponder.Settings(false,
                new InetSocketAddress(LOOPBACK, 0), List.of(), 1), new SimpleMeterRegistry(), null));
        assertThrows(java.io.IOException.class, () -> {
            try (DatagramSocket taken = new DatagramSocket(0, LOOPBACK)) {
                ProbeResponder.start(new ProbeResponder.Settings(true, (InetSocketAddress) taken.getLocalSocketAddress(),
                        List.of(), 1), new SimpleMeterRegistry(), null);
            }
        });
    }

    /**
     * Of a burst of authenticated connections, only the first from each source address (each router A) has its
     * subflows read on a schedule (four timers and MPTCP_INFO reads each), and the next second's first one again;
     * all of them are listed for a probe's refresh.
     */
    @Test
    void oneConnectionPerSecondIsLearnedFrom() throws Exception {
        TlsPeerAddresses peers = new TlsPeerAddresses();
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        try {
            Channel listener = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                    .childHandler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            peers.authenticated(ch);
                        }
                    }).bind(LOOPBACK, 0).sync().channel();
            List<Channel> clients = new java.util.ArrayList<>();
            Bootstrap b = new Bootstrap().group(group).channel(NioSocketChannel.class)
                    .handler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel ch) {
                        }
                    });
            InetSocketAddress otherRouterA = new InetSocketAddress(InetAddress.getByName("127.0.0.3"), 0);
            for (int i = 0; i < 20; i++) {
                clients.add(b.connect(listener.localAddress()).sync().channel());
                if (i % 4 == 0) {
                    clients.add(b.connect(listener.localAddress(), otherRouterA).sync().channel());
                }
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (peers.connectionsLearnedFrom() < 2 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            Thread.sleep(100);
            assertEquals(2, peers.connectionsLearnedFrom(), "a burst of 20 + 5 connections from 2 sources in a second");
            Thread.sleep(TlsPeerAddresses.LEARN_EVERY.toMillis() + 100);
            clients.add(b.connect(listener.localAddress()).sync().channel());
            deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (peers.connectionsLearnedFrom() < 3 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertEquals(3, peers.connectionsLearnedFrom(), "the first connection of the next second");
            for (Channel c : clients) {
                c.close().sync();
            }
            listener.close().sync();
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    /**
     * With TLS on, a source in {@code allow} is answered only once an authenticated connection came from it (router
     * A's subflow addresses), and still after that connection closed; any other allowed source is dropped.
     */
    @Test
    void withTlsOnlyTheAddressesOfAuthenticatedConnectionsAreAnswered() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        TlsPeerAddresses peers = new TlsPeerAddresses();
        InetAddress routerA = InetAddress.getByName("127.0.0.3");
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        try (ProbeResponder r = ProbeResponder.start(new ProbeResponder.Settings(true,
                new InetSocketAddress(LOOPBACK, 0), List.of(Cidr.parse("127.0.0.0/8")), 100), registry, peers)
                .orElseThrow();
             DatagramSocket a = new DatagramSocket(0, routerA);
             DatagramSocket stranger = new DatagramSocket(0, InetAddress.getByName("127.0.0.4"))) {
            InetSocketAddress to = r.localAddress();
            assertEquals(null, exchange(a, to, probe(1)), "no authenticated connection yet");

            CompletableFuture<Channel> accepted = new CompletableFuture<>();
            Channel listener = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                    .childHandler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            peers.authenticated(ch); // what TlsListener does once a handshake pinned a peer
                            accepted.complete(ch);
                        }
                    }).bind(LOOPBACK, 0).sync().channel();
            Channel client = new Bootstrap().group(group).channel(NioSocketChannel.class)
                    .handler(new ChannelInboundHandlerAdapter())
                    .connect(listener.localAddress(), new InetSocketAddress(routerA, 0)).sync().channel();
            accepted.get(5, TimeUnit.SECONDS);
            Thread.sleep(TlsPeerAddresses.REFRESH_EVERY.toMillis() + 100); // the unknown probe above just refreshed

            assertArrayEquals(probe(2), exchange(a, to, probe(2)), "router A's address, learned from its connection");
            assertEquals(null, exchange(stranger, to, probe(3)), "allowed, but no authenticated connection from it");
            client.close().sync();
            listener.close().sync();
            assertArrayEquals(probe(4), exchange(a, to, probe(4)), "remembered after its connection closed");
            assertEquals(2, drops(registry, "not-tls-peer"));
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }
}
