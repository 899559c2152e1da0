package mpgw.relay;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The relay between real epoll sockets on loopback: client socket -> [accepted | relay | upstream] -> target.
 * The "proxy" here joins each accepted channel with a fresh connection to the target.
 */
class RelayTest {
    /** The defaults of both daemons' reference.conf. */
    static final RelaySettings SETTINGS = new RelaySettings(Duration.ofMillis(1), Duration.ofSeconds(10));

    private static EventLoopGroup group;

    @BeforeAll
    static void start() {
        group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    }

    @AfterAll
    static void stop() {
        group.shutdownGracefully().syncUninterruptibly();
    }

    /** A proxy on loopback that relays every accepted connection to {@code target}. */
    private static Channel proxyTo(InetSocketAddress target, AtomicReference<Channel> upstreamSeen,
                                   CompletableFuture<RelayStats> ended) throws InterruptedException {
        return new ServerBootstrap().group(group).channel(EpollServerSocketChannel.class)
                .childOption(ChannelOption.AUTO_READ, false)
                // As the daemons do: a client FIN before the relay starts must not close the connection.
                .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .childHandler(new ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelActive(ChannelHandlerContext ctx) {
                        Channel down = ctx.channel();
                        new Bootstrap().group(down.eventLoop()).channel(EpollSocketChannel.class)
                                .option(ChannelOption.AUTO_READ, false)
                                .handler(new ChannelInboundHandlerAdapter())
                                .connect(target).addListener(f -> {
                                    Channel up = ((io.netty.channel.ChannelFuture) f).channel();
                                    if (!f.isSuccess()) {
                                        down.close();
                                        return;
                                    }
                                    upstreamSeen.set(up);
                                    ctx.pipeline().remove(this);
                                    Relay.join(down, up, SETTINGS, ended::complete);
                                });
                    }
                }).bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
    }

    @Test
    void bytesFlowBothWaysAndHalfCloseIsPropagated() throws Exception {
        try (ServerSocket target = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            target.setSoTimeout(10_000); // accept() is bounded: a relay that never connects fails the test
            CompletableFuture<RelayStats> ended = new CompletableFuture<>();
            Channel proxy = proxyTo((InetSocketAddress) target.getLocalSocketAddress(), new AtomicReference<>(), ended);
            byte[] request = new byte[300_000];
            byte[] response = new byte[500_000];
            new Random(2).nextBytes(request);
            new Random(3).nextBytes(response);
            try (Socket client = new Socket("127.0.0.1", ((InetSocketAddress) proxy.localAddress()).getPort())) {
                client.setSoTimeout(10_000);
                OutputStream out = client.getOutputStream();
                out.write(request);
                client.shutdownOutput();                 // client: "done sending", still reading

                try (Socket served = target.accept()) {
                    served.setSoTimeout(10_000);
                    byte[] got = served.getInputStream().readAllBytes();   // EOF arrives: half-close propagated
                    assertArrayEquals(request, got);
                    served.getOutputStream().write(response);           // the other direction still works
                    served.shutdownOutput();
                    InputStream in = client.getInputStream();
                    assertArrayEquals(response, in.readAllBytes());
                }
            }
            RelayStats stats = ended.get(10, TimeUnit.SECONDS);
            assertEquals(request.length, stats.bytesUp());
            assertEquals(response.length, stats.bytesDown());
            proxy.close().sync();
        }
    }

    /**
     * Bytes queued for a peer that stopped reading (as an MPTCP peer that closed with unread data and did not
     * reset): a close-on-flush gives up after a whole drain period without progress, instead of holding the
     * flow until the idle timeout.
     */
    @Test
    void aCloseOnFlushGivesUpWhenNothingDrainsForAWholePeriod() throws Exception {
        try (ServerSocket target = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            target.setSoTimeout(10_000); // accept() is bounded: a relay that never connects fails the test
            target.setReceiveBufferSize(4096);
            Channel ch = new Bootstrap().group(group).channel(EpollSocketChannel.class)
                    .option(ChannelOption.SO_SNDBUF, 4096)
                    .handler(new ChannelInboundHandlerAdapter())
                    .connect(target.getLocalSocketAddress()).sync().channel();
            try (Socket served = target.accept()) { // accepted, never read
                long start = System.nanoTime();
                ch.eventLoop().submit(() -> {
                    ch.writeAndFlush(Unpooled.wrappedBuffer(new byte[8 << 20])); // far more than the buffers hold
                    RelayHandler.closeOnFlush(ch, Duration.ofMillis(500));
                }).sync();
                assertTrue(ch.closeFuture().await(5, TimeUnit.SECONDS), "still open with nothing draining");
                long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                assertTrue(millis >= 450, "closed after " + millis + " ms, before a whole drain period");
            } finally {
                ch.close().sync();
            }
        }
    }

    /**
     * A reset on one side reaches the other as a reset, while bytes are still on their way: the client must not
     * see a clean EOF, which would make a cut download look complete.
     */
    @Test
    void aResetOnOneSideResetsTheOther() throws Exception {
        try (ServerSocket target = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            target.setSoTimeout(10_000); // accept() is bounded: a relay that never connects fails the test
            CompletableFuture<RelayStats> ended = new CompletableFuture<>();
            Channel proxy = proxyTo((InetSocketAddress) target.getLocalSocketAddress(), new AtomicReference<>(), ended);
            try (Socket client = new Socket("127.0.0.1", ((InetSocketAddress) proxy.localAddress()).getPort())) {
                client.setSoTimeout(10_000);
                client.getOutputStream().write(new byte[] {1});
                try (Socket served = target.accept()) {
                    served.setSoTimeout(10_000);
                    assertEquals(1, served.getInputStream().read()); // the relay runs
                    served.getOutputStream().write(new byte[100_000]);
                    served.setSoLinger(true, 0);
                } // RST
                java.io.IOException e = assertThrows(java.io.IOException.class,
                        () -> client.getInputStream().readAllBytes(), "the client saw a clean EOF");
                assertTrue(e.getMessage().contains("reset"), "expected a reset, got " + e);
            }
            ended.get(5, TimeUnit.SECONDS);
            proxy.close().sync();
        }
    }

    /**
     * After the client's FIN the accepted channel has no read interest left; a response larger than the socket
     * buffers then needs EPOLLOUT on it. Netty 4.2.18 fails that (EPOLL_CTL_MOD on a removed fd) unless
     * {@link EpollRegistrationRepair} is in place, and the client got a truncated response and a RST.
     */
    @Test
    void aLargeResponseAfterTheClientsFinArrivesWhole() throws Exception {
        try (ServerSocket target = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            target.setSoTimeout(10_000); // accept() is bounded: a relay that never connects fails the test
            CompletableFuture<RelayStats> ended = new CompletableFuture<>();
            Channel proxy = proxyTo((InetSocketAddress) target.getLocalSocketAddress(), new AtomicReference<>(), ended);
            byte[] response = new byte[16 << 20];
            new Random(4).nextBytes(response);
            try (Socket client = new Socket("127.0.0.1", ((InetSocketAddress) proxy.localAddress()).getPort())) {
                client.setSoTimeout(10_000);
                client.getOutputStream().write(new byte[] {1});
                try (Socket served = target.accept()) {
                    served.setSoTimeout(10_000);
                    assertEquals(1, served.getInputStream().read()); // the relay runs
                    client.shutdownOutput();
                    assertEquals(-1, served.getInputStream().read());
                    CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                        try {
                            served.getOutputStream().write(response);
                            served.shutdownOutput();
                        } catch (java.io.IOException e) {
                            throw new java.io.UncheckedIOException(e);
                        }
                    });
                    Thread.sleep(300); // the client is slow to read: the relay's writes to it must wait for EPOLLOUT
                    assertArrayEquals(response, client.getInputStream().readAllBytes());
                    writer.get(10, TimeUnit.SECONDS);
                }
            }
            assertEquals(response.length, ended.get(10, TimeUnit.SECONDS).bytesDown());
            proxy.close().sync();
        }
    }

    @Test
    void aTargetThatDoesNotReadStopsTheClientSideInsteadOfBuffering() throws Exception {
        try (ServerSocket target = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            target.setSoTimeout(10_000); // accept() is bounded: a relay that never connects fails the test
            AtomicReference<Channel> upstream = new AtomicReference<>();
            Channel proxy = proxyTo((InetSocketAddress) target.getLocalSocketAddress(), upstream,
                    new CompletableFuture<>());
            try (Socket client = new Socket("127.0.0.1", ((InetSocketAddress) proxy.localAddress()).getPort());
                 Socket served = target.accept()) {
                // The client writes far more than the socket buffers and water marks can hold, on another thread,
                // bounded to 5 s; the target never reads.
                java.util.concurrent.atomic.AtomicLong written = new java.util.concurrent.atomic.AtomicLong();
                Thread writer = new Thread(() -> {
                    byte[] chunk = new byte[64 * 1024];
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                    try {
                        OutputStream out = client.getOutputStream();
                        while (written.get() < 256L * 1024 * 1024 && System.nanoTime() < deadline) {
                            out.write(chunk);
                            written.addAndGet(chunk.length);
                        }
                    } catch (Exception ignored) {
                        // the socket closes at the end of the test
                    }
                });
                writer.setDaemon(true);
                writer.start();
                // Backpressure reached: the client's writes have stalled (no progress for 300 ms), or 5 s passed.
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                long last = -1;
                while (written.get() != last && System.nanoTime() < deadline) {
                    last = written.get();
                    Thread.sleep(300); // the stall window, bounded by the deadline
                }
                long pending = upstream.get().eventLoop().submit(
                        () -> upstream.get().unsafe().outboundBuffer().totalPendingWriteBytes()).get();
                long highWater = upstream.get().config().getWriteBufferHighWaterMark();
                assertTrue(pending <= highWater + 2 * 1024 * 1024,
                        "relay buffered " + pending + " bytes (high water mark " + highWater + ")");
                assertTrue(written.get() < 64L * 1024 * 1024,
                        "the client was stopped by backpressure after " + written.get() + " bytes");
                assertTrue(served.isConnected());
            }
            proxy.close().sync();
        }
    }

    /**
     * The client's FIN arrives while the relay has stopped reading it (auto-read off: the target's side is above
     * its high water mark). Once the target drains, the FIN must reach it at once: with epoll, an EOF that comes
     * while a channel is not reading is noticed only if something reads again.
     */
    @Test
    void aFinThatArrivesWhileTheClientSideIsHeldBackReachesTheTargetOnceItDrains() throws Exception {
        try (ServerSocket target = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            target.setSoTimeout(10_000); // accept() is bounded: a relay that never connects fails the test
            AtomicReference<Channel> upstream = new AtomicReference<>();
            CompletableFuture<RelayStats> ended = new CompletableFuture<>();
            Channel proxy = proxyTo((InetSocketAddress) target.getLocalSocketAddress(), upstream, ended);
            try (Socket client = new Socket("127.0.0.1", ((InetSocketAddress) proxy.localAddress()).getPort());
                 Socket served = target.accept()) {
                served.setSoTimeout(10_000);
                client.setSoTimeout(10_000);
                // More than the socket buffers and the water marks hold, written on another thread (bounded to
                // 10 s): the target does not read yet, so the relay stops reading the client.
                byte[] request = new byte[24 << 20];
                new Random(5).nextBytes(request);
                CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                    try {
                        client.getOutputStream().write(request);
                        client.shutdownOutput(); // the FIN, queued behind what the relay has not read
                    } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                });
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                while ((upstream.get() == null || upstream.get().isWritable()) && System.nanoTime() < deadline) {
                    Thread.sleep(10); // until the target's side is full: the relay stopped reading the client
                }
                assertTrue(!upstream.get().isWritable(), "the target's side never filled");
                Thread.sleep(300); // the client's last bytes and its FIN reach the proxy's socket meanwhile
                // Now the target reads it all; the relay's EOF must follow the last byte.
                java.io.InputStream in = served.getInputStream();
                byte[] got = new byte[request.length];
                int n = 0;
                while (n < got.length) {
                    int r = in.read(got, n, got.length - n);
                    assertTrue(r > 0, "EOF after " + n + " of " + request.length + " bytes");
                    n += r;
                }
                assertArrayEquals(request, got);
                long start = System.nanoTime();
                served.setSoTimeout(2_000);
                try {
                    assertEquals(-1, in.read(), "bytes after the client's FIN");
                } catch (java.net.SocketTimeoutException e) {
                    throw new AssertionError("the client's FIN was not passed on within 2 s of the last byte", e);
                }
                long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                assertTrue(millis < 1_000, "the FIN came " + millis + " ms after the last byte");
                writer.get(10, TimeUnit.SECONDS);
                served.shutdownOutput();
                assertEquals(-1, client.getInputStream().read());
            }
            ended.get(5, TimeUnit.SECONDS);
            proxy.close().sync();
        }
    }
}
