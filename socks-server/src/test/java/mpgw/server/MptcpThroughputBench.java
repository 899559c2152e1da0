package mpgw.server;

import io.netty.channel.ChannelInitializer;
import io.netty.handler.ssl.SslContext;
import mpgw.tls.PinnedPeers;
import mpgw.tls.TlsContexts;
import mpgw.tls.TlsHandlers;
import mpgw.tls.TlsProvider;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import mpgw.jni.ClientSocketOptions;
import mpgw.jni.MptcpChannels;
import mpgw.jni.MptcpMode;
import mpgw.jni.MptcpSocketFactory;
import mpgw.relay.Relay;
import mpgw.relay.RelaySettings;
import mpgw.testing.Netns;

/**
 * Throughput of one CONNECT through the socks-server when the client leg is MPTCP, as between the routers:
 * client (namespace A, MPTCP via the jni) -- unshaped veth -- socks-server (namespace B) -- loopback -- a
 * source or sink in B. Download is the direction where the server writes to the MPTCP socket (the late
 * EPOLLOUT wake-up, see docs/BENCHMARKS.md); upload the other. Prints numbers; asserts nothing.
 *
 * <pre>mvn -q -o -pl socks-server exec:java -Dexec.classpathScope=test -Dexec.mainClass=mpgw.server.MptcpThroughputBench [-Dexec.args="SECONDS [RETRY [TLS]]"]</pre>
 * RETRY is the server's {@code relay.write-stall-retry} (a duration); give {@code 0} to see the relay without its
 * write-stall retry. TLS is {@code openssl} or {@code jdk} to run the client leg over TLS 1.3 ({@code server.tls}
 * with that provider on the server, BoringSSL on the client), or {@code off} (the default).
 */
public final class MptcpThroughputBench {
    private static final byte[] CHUNK = new byte[128 * 1024];

    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        String retry = args.length > 1 ? args[1] : "1ms";
        String tlsProvider = args.length > 2 ? args[2] : "off";
        TlsKeys serverKeys = TlsKeys.make("bench-b");
        TlsKeys gateway = TlsKeys.make("bench-a");
        SslContext tls = tlsProvider.equals("off") ? null : TlsContexts.client(gateway.keys,
                PinnedPeers.of(java.util.List.of(serverKeys.keys.fingerprint())), TlsProvider.OPENSSL);
        String tlsConfig = tls == null ? "" : serverKeys.serverConfig(tlsProvider, "", gateway);
        EventLoopGroup peers = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        EventLoopGroup client = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        try (Netns a = Netns.create("mpgwsrv-bench-a"); Netns b = Netns.create("mpgwsrv-bench-b")) {
            Netns.link(a, "v0", "10.204.0.1/24", b, "v0", "10.204.0.2/24");
            try (TestServer server = TestServer.startIn(b, TestServer.ALLOW_LOOPBACK
                    + "\nlisten = [\"10.204.0.2:0\"]\nmptcp = required\nrelay.write-stall-retry = " + retry
                    + tlsConfig)) {
                AtomicLong sunk = new AtomicLong();
                Channel source = b.call(() -> listen(peers, new Source()));
                Channel sink = b.call(() -> listen(peers, new Sink(sunk)));
                InetSocketAddress proxy = server.address();
                StringBuilder table = new StringBuilder("| round | download (Mbit/s) | upload (Mbit/s) |\n|---|---|---|\n");
                for (int round = 0; round < 3; round++) {
                    double down = run(a, client, peers, proxy, (InetSocketAddress) source.localAddress(), false, seconds, null,
                            tls);
                    double up = run(a, client, peers, proxy, (InetSocketAddress) sink.localAddress(), true, seconds, sunk,
                            tls);
                    table.append(String.format("| %d | %,.0f | %,.0f |%n", round + 1, down, up));
                }
                System.out.print(table);
                source.close().sync();
                sink.close().sync();
            }
        } finally {
            peers.shutdownGracefully().sync();
            client.shutdownGracefully().sync();
        }
        System.exit(0);
    }

    private static Channel listen(EventLoopGroup group, ChannelHandler handler) throws InterruptedException {
        return new ServerBootstrap().group(group).channel(EpollServerSocketChannel.class).childHandler(handler)
                .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
    }

    /**
     * One CONNECT from namespace A; returns Mbit/s of payload in the measured direction. The upload is fed by
     * {@link Relay} from a local source, as the gateway does, so the client's MPTCP writes get the same
     * write-stall retry as the server's.
     */
    private static double run(Netns a, EventLoopGroup group, EventLoopGroup peers, InetSocketAddress proxy,
                              InetSocketAddress target, boolean upload, int seconds, AtomicLong sunk, SslContext tls)
            throws Exception {
        MptcpSocketFactory sockets = new MptcpSocketFactory(MptcpMode.REQUIRED);
        AtomicLong received = new AtomicLong();
        Channel localSource = upload ? a.call(() -> listen(peers, new Source())) : null;
        Channel ch = a.call(() -> new Bootstrap().group(group)
                .channelFactory(MptcpChannels.client(sockets, false, ClientSocketOptions.NONE))
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel c) {
                        if (tls != null) {
                            TlsHandlers.addClient(c.pipeline(), tls, proxy.getHostString(), proxy.getPort(),
                                    Duration.ofSeconds(5), mpgw.tls.HandshakeListener.NONE);
                        }
                        c.pipeline().addLast(new Counter(received));
                    }
                }).connect(proxy).sync().channel());
        ch.writeAndFlush(Unpooled.wrappedBuffer(Wire.greeting(0), Wire.request(1, target))).sync();
        Thread.sleep(300); // the SOCKS reply
        if (upload) {
            Channel feed = a.call(() -> new Bootstrap().group(group).channel(EpollSocketChannel.class)
                    .option(ChannelOption.AUTO_READ, false).handler(new ChannelInboundHandlerAdapter())
                    .connect(localSource.localAddress()).sync().channel());
            ch.eventLoop().submit(() -> {
                ch.pipeline().remove(Counter.class);
                Relay.join(feed, ch, new RelaySettings(Duration.ofMillis(1), Duration.ofSeconds(10)), stats -> { });
            }).sync();
        }
        Thread.sleep(500); // ramp-up, not measured
        long before = upload ? sunk.get() : received.get();
        long start = System.nanoTime();
        Thread.sleep(seconds * 1000L);
        long bytes = (upload ? sunk.get() : received.get()) - before;
        double mbps = bytes * 8 / ((System.nanoTime() - start) / 1e9) / 1e6;
        ch.close().sync();
        if (localSource != null) {
            localSource.close().sync();
        }
        return mbps;
    }

    /** Counts what arrives. */
    private static final class Counter extends ChannelInboundHandlerAdapter {
        private final AtomicLong received;

        Counter(AtomicLong received) {
            this.received = received;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            received.addAndGet(((ByteBuf) msg).readableBytes());
            ((ByteBuf) msg).release();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    private static void fill(Channel ch) {
        while (ch.isActive() && ch.isWritable()) {
            ch.write(Unpooled.wrappedBuffer(CHUNK), ch.voidPromise());
        }
        ch.flush();
    }

    /** Writes without end to each connection, as fast as it drains. */
    @ChannelHandler.Sharable
    private static final class Source extends ChannelInboundHandlerAdapter {
        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            fill(ctx.channel());
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            fill(ctx.channel());
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ((ByteBuf) msg).release();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    @ChannelHandler.Sharable
    private static final class Sink extends ChannelInboundHandlerAdapter {
        private final AtomicLong sunk;

        Sink(AtomicLong sunk) {
            this.sunk = sunk;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            sunk.addAndGet(((ByteBuf) msg).readableBytes());
            ((ByteBuf) msg).release();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
