package mpgw.tls;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Decides the default TLS provider: the JDK's TLS against BoringSSL (netty-tcnative), both under Netty's
 * SslHandler, client and server in this process on loopback with epoll, one event loop thread each.
 *
 * <ul>
 *   <li><b>bulk</b>: one flow, client -> server, 32 KiB writes for SECONDS; MB/s of plaintext delivered and the
 *       process's CPU seconds per GB (both ends: encryption and decryption), per TLS 1.3 cipher suite, against
 *       the same flow without TLS.</li>
 *   <li><b>handshakes</b>: 4 connections at a time, each connect + TLS handshake + 1-byte echo + close, for
 *       SECONDS; connections/s and CPU ms per connection, full handshakes (no session cache used) and resumed
 *       (the client context's cache, keyed by host and port), against plain TCP. The server's trust manager counts
 *       full handshakes, so the resumed share is measured, not assumed.</li>
 * </ul>
 * Variants are interleaved (A, B, A, B ...) over ROUNDS rounds after a warm-up pass; the summary gives medians.
 * Run by hand, under the lock that keeps timing tests apart:
 *
 * <pre>flock /tmp/mpgw-kernel-tests.lock mvn -q -o -pl common exec:java -Dexec.classpathScope=test \
 *     -Dexec.mainClass=mpgw.tls.TlsProviderBench [-Dexec.args="SECONDS ROUNDS"]</pre>
 */
public final class TlsProviderBench {
    private static final int CHUNK = 32 * 1024;
    private static final byte[] DATA = new byte[CHUNK];
    private static final int LANES = 4;
    private static final String AES128 = "TLS_AES_128_GCM_SHA256";
    private static final String CHACHA = "TLS_CHACHA20_POLY1305_SHA256";

    private static final KeyMaterial SERVER = KeyGeneration.generate("bench-router-b");
    private static final KeyMaterial CLIENT = KeyGeneration.generate("bench-router-a");

    private static EventLoopGroup serverGroup;
    private static EventLoopGroup clientGroup;

    private TlsProviderBench() {
    }

    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        new Random(14).nextBytes(DATA);
        serverGroup = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        clientGroup = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        System.out.printf("java %s, %s, %d cpus, %s%n", System.getProperty("java.vm.version"),
                OpenSsl.versionString(), Runtime.getRuntime().availableProcessors(), cpuModel());
        try {
            bulkAll(seconds, rounds);
            handshakesAll(seconds, rounds);
        } finally {
            serverGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
            clientGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    // ---- bulk ----

    private record BulkVariant(String name, TlsProvider provider, String cipher) {
    }

    private static void bulkAll(int seconds, int rounds) throws Exception {
        List<BulkVariant> variants = List.of(new BulkVariant("none", null, null),
                new BulkVariant("jdk aes128", TlsProvider.JDK, AES128),
                new BulkVariant("openssl aes128", TlsProvider.OPENSSL, AES128),
                new BulkVariant("jdk chacha20", TlsProvider.JDK, CHACHA),
                new BulkVariant("openssl chacha20", TlsProvider.OPENSSL, CHACHA));
        for (BulkVariant v : variants) {
            bulk(v, 2); // warm-up, not recorded
        }
        Map<String, List<double[]>> results = new LinkedHashMap<>();
        for (int r = 1; r <= rounds; r++) {
            for (BulkVariant v : variants) {
                double[] m = bulk(v, seconds);
                results.computeIfAbsent(v.name(), k -> new ArrayList<>()).add(m);
                System.out.printf("bulk round %d %-17s %8.1f MB/s %6.2f cpu-s/GB  (%s)%n", r, v.name(), m[0], m[1],
                        lastCipher.get());
            }
        }
        System.out.println("bulk medians (MB/s, CPU s per GB, both ends):");
        results.forEach((name, list) -> System.out.printf("  %-17s %8.1f MB/s %6.2f cpu-s/GB%n", name,
                median(list, 0), median(list, 1)));
    }

    private static final AtomicReference<String> lastCipher = new AtomicReference<>("");

    /** Returns {MB/s, CPU seconds per GB}. */
    private static double[] bulk(BulkVariant v, int seconds) throws Exception {
        SslContext serverContext = v.provider() == null ? null
                : TlsContexts.server(SERVER, new PinningTrustManager(PinnedPeers.of(List.of(CLIENT.fingerprint()))),
                        v.provider(), List.of(v.cipher()));
        SslContext clientContext = v.provider() == null ? null
                : TlsContexts.client(CLIENT, new PinningTrustManager(PinnedPeers.of(List.of(SERVER.fingerprint()))),
                        v.provider(), List.of(v.cipher()));
        AtomicLong received = new AtomicLong();
        Channel server = new ServerBootstrap().group(serverGroup).channel(EpollServerSocketChannel.class)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        if (serverContext != null) {
                            ch.pipeline().addLast(serverContext.newHandler(ch.alloc()));
                        }
                        ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                            @Override
                            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                received.addAndGet(((ByteBuf) msg).readableBytes());
                                ((ByteBuf) msg).release();
                            }
                        });
                    }
                }).bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
        Writer writer = new Writer();
        Channel client = new Bootstrap().group(clientGroup).channel(EpollSocketChannel.class)
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(256 * 1024, 512 * 1024))
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        if (clientContext != null) {
                            ch.pipeline().addLast(clientContext.newHandler(ch.alloc()));
                        }
                        ch.pipeline().addLast(writer);
                    }
                }).connect(server.localAddress()).sync().channel();
        writer.ready.get(10, TimeUnit.SECONDS);
        SslHandler ssl = client.pipeline().get(SslHandler.class);
        lastCipher.set(ssl == null ? "plain" : ssl.engine().getSession().getCipherSuite());
        long cpu0 = processCpuNanos();
        long bytes0 = received.get();
        long t0 = System.nanoTime();
        client.eventLoop().execute(writer::pump);
        Thread.sleep(seconds * 1000L);
        long bytes1 = received.get();
        long t1 = System.nanoTime();
        long cpu1 = processCpuNanos();
        writer.running = false;
        client.close().sync();
        server.close().sync();
        double bytes = bytes1 - bytes0;
        return new double[] {bytes / ((t1 - t0) / 1e9) / 1e6, (cpu1 - cpu0) / 1e9 / (bytes / 1e9)};
    }

    /** Writes 32 KiB buffers while the channel is writable, from the handshake's end until stopped. */
    private static final class Writer extends ChannelInboundHandlerAdapter {
        final CompletableFuture<Void> ready = new CompletableFuture<>();
        volatile boolean running = true;
        private Channel channel;

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            channel = ctx.channel();
            if (ctx.pipeline().get(SslHandler.class) == null) {
                ready.complete(null);
            }
            ctx.fireChannelActive();
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof SslHandshakeCompletionEvent e) {
                if (e.isSuccess()) {
                    ready.complete(null);
                } else {
                    ready.completeExceptionally(e.cause());
                }
            }
        }

        void pump() {
            while (running && channel.isWritable()) {
                ByteBuf b = channel.alloc().directBuffer(CHUNK);
                b.writeBytes(DATA);
                channel.writeAndFlush(b, channel.voidPromise());
            }
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            pump();
        }
    }

    // ---- handshakes ----

    private static void handshakesAll(int seconds, int rounds) throws Exception {
        List<String> variants = List.of("none", "jdk full", "openssl full", "jdk resumed", "openssl resumed");
        for (String v : variants) {
            handshakes(v, 2);
        }
        Map<String, List<double[]>> results = new LinkedHashMap<>();
        for (int r = 1; r <= rounds; r++) {
            for (String v : variants) {
                double[] m = handshakes(v, seconds);
                results.computeIfAbsent(v, k -> new ArrayList<>()).add(m);
                System.out.printf("connections round %d %-16s %7.0f /s %6.2f cpu-ms each, %3.0f%% resumed%n", r, v,
                        m[0], m[1], m[2] * 100);
            }
        }
        System.out.printf("connection medians (%d at a time; connect + handshake + 1-byte echo + close):%n", LANES);
        results.forEach((name, list) -> System.out.printf("  %-16s %7.0f /s %6.2f cpu-ms each, %3.0f%% resumed%n",
                name, median(list, 0), median(list, 1), median(list, 2) * 100));
    }

    /** Returns {connections/s, CPU ms per connection, share resumed}. */
    private static double[] handshakes(String variant, int seconds) throws Exception {
        TlsProvider provider = variant.startsWith("jdk") ? TlsProvider.JDK
                : variant.startsWith("openssl") ? TlsProvider.OPENSSL : null;
        boolean resume = variant.endsWith("resumed");
        CountingTrustManager serverTrust = new CountingTrustManager(PinnedPeers.of(List.of(CLIENT.fingerprint())));
        SslContext serverContext = provider == null ? null
                : TlsContexts.server(SERVER, serverTrust.manager, provider, null);
        SslContext clientContext = provider == null ? null
                : TlsContexts.client(CLIENT, new PinningTrustManager(PinnedPeers.of(List.of(SERVER.fingerprint()))),
                        provider, null);
        Channel server = new ServerBootstrap().group(serverGroup).channel(EpollServerSocketChannel.class)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        if (serverContext != null) {
                            ch.pipeline().addLast(serverContext.newHandler(ch.alloc()));
                        }
                        ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                            @Override
                            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                ctx.writeAndFlush(msg);
                            }

                            @Override
                            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                                ctx.close();
                            }
                        });
                    }
                }).bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
        InetSocketAddress address = (InetSocketAddress) server.localAddress();
        AtomicLong done = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        Bootstrap bootstrap = new Bootstrap().group(clientGroup).channel(EpollSocketChannel.class)
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        if (clientContext != null) {
                            ch.pipeline().addLast(resume
                                    ? clientContext.newHandler(ch.alloc(), address.getHostString(), address.getPort())
                                    : clientContext.newHandler(ch.alloc()));
                        }
                        ch.pipeline().addLast(new Echo1(done));
                    }
                });
        CompletableFuture<Void> allDone = new CompletableFuture<>();
        AtomicLong lanesLeft = new AtomicLong(LANES);
        long cpu0 = processCpuNanos();
        long t0 = System.nanoTime();
        for (int i = 0; i < LANES; i++) {
            lane(bootstrap, address, deadline, failed, lanesLeft, allDone);
        }
        allDone.get(seconds + 30L, TimeUnit.SECONDS);
        long t1 = System.nanoTime();
        long cpu1 = processCpuNanos();
        server.close().sync();
        if (failed.get() > 0) {
            System.out.println("  " + variant + ": " + failed.get() + " connections failed");
        }
        double n = done.get();
        double resumed = provider == null ? 0 : 1 - serverTrust.checks.get() / n;
        return new double[] {n / ((t1 - t0) / 1e9), (cpu1 - cpu0) / 1e6 / n, resumed};
    }

    /** One closed loop of connections: the next starts when the previous one has closed. */
    private static void lane(Bootstrap bootstrap, InetSocketAddress address, long deadline, AtomicLong failed,
                             AtomicLong lanesLeft, CompletableFuture<Void> allDone) {
        if (System.nanoTime() >= deadline) {
            if (lanesLeft.decrementAndGet() == 0) {
                allDone.complete(null);
            }
            return;
        }
        bootstrap.connect(address).addListener(f -> {
            if (!f.isSuccess()) {
                failed.incrementAndGet();
                lane(bootstrap, address, deadline, failed, lanesLeft, allDone);
                return;
            }
            Channel ch = ((io.netty.channel.ChannelFuture) f).channel();
            ch.closeFuture().addListener(c -> lane(bootstrap, address, deadline, failed, lanesLeft, allDone));
        });
    }

    /** Sends one byte when the connection (and its handshake) is up, closes on the echo; counts it. */
    private static final class Echo1 extends ChannelInboundHandlerAdapter {
        private final AtomicLong done;

        Echo1(AtomicLong done) {
            this.done = done;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            if (ctx.pipeline().get(SslHandler.class) == null) {
                ctx.writeAndFlush(ctx.alloc().buffer(1).writeByte(1));
            }
            ctx.fireChannelActive();
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof SslHandshakeCompletionEvent e) {
                if (e.isSuccess()) {
                    ctx.writeAndFlush(ctx.alloc().buffer(1).writeByte(1));
                } else {
                    ctx.close();
                }
            }
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ((ByteBuf) msg).release();
            done.incrementAndGet();
            ctx.close();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    // ---- helpers ----

    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    private static double median(List<double[]> list, int index) {
        List<Double> values = new ArrayList<>();
        list.forEach(a -> values.add(a[index]));
        Collections.sort(values);
        return values.get(values.size() / 2);
    }

    private static String cpuModel() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .findFirst().map(l -> l.substring(l.indexOf(':') + 1).strip()).orElse("unknown cpu");
        } catch (java.io.IOException e) {
            return "unknown cpu";
        }
    }
}
