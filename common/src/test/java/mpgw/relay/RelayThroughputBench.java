package mpgw.relay;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import mpgw.jni.ClientSocketOptions;
import mpgw.jni.MptcpChannels;
import mpgw.jni.MptcpMode;
import mpgw.jni.MptcpSocketFactory;
import mpgw.testing.Netns;

/**
 * Throughput of one relayed flow, client (TCP, loopback) -> relay -> MPTCP upstream over
 * an unshaped veth link between two namespaces -> sink.
 * Shows the effect of the write-stall retry ({@code relay.write-stall-retry}): give 0 as the retry period to turn
 * it off.
 *
 * <pre>mvn -q -o -pl common exec:java -Dexec.classpathScope=test -Dexec.mainClass=mpgw.relay.RelayThroughputBench [-Dexec.args="SECONDS [RETRY_MICROS]"]</pre>
 */
public final class RelayThroughputBench {
    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        long retryMicros = args.length > 1 ? Long.parseLong(args[1]) : 1000;
        // The MPTCP leg crosses a veth link between two namespaces (the late wake-up shows there, not on lo).
        try (Netns a = Netns.create("mpgwbench-a"); Netns b = Netns.create("mpgwbench-b")) {
            Netns.link(a, "v0", "10.203.0.1/24", b, "v0", "10.203.0.2/24");
            a.call(() -> {
                run(seconds, retryMicros, b);
                return null;
            });
        }
    }

    private static void run(int seconds, long retryMicros, Netns sinkNs) throws Exception {
        RelaySettings settings = new RelaySettings(Duration.ofNanos(retryMicros * 1000), Duration.ofSeconds(10));
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        EventLoopGroup sinkGroup = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        MptcpSocketFactory sockets = new MptcpSocketFactory(MptcpMode.REQUIRED);
        AtomicLong sunk = new AtomicLong();
        try {
            Channel sink = sinkNs.call(() -> new ServerBootstrap().group(sinkGroup).channelFactory(MptcpChannels.server(sockets, false))
                    .childHandler(new ChannelInboundHandlerAdapter() {
                        @Override
                        public void channelRead(ChannelHandlerContext ctx, Object msg) {
                            sunk.addAndGet(((ByteBuf) msg).readableBytes());
                            ((ByteBuf) msg).release();
                        }
                    }).bind(new InetSocketAddress("10.203.0.2", 0)).sync().channel());
            Channel proxy = new ServerBootstrap().group(group).channel(EpollServerSocketChannel.class)
                    .childOption(ChannelOption.AUTO_READ, false)
                    .childHandler(new ChannelInboundHandlerAdapter() {
                        @Override
                        public void channelActive(ChannelHandlerContext ctx) {
                            Channel down = ctx.channel();
                            new Bootstrap().group(down.eventLoop())
                                    .channelFactory(MptcpChannels.client(sockets, false, ClientSocketOptions.NONE))
                                    .option(ChannelOption.AUTO_READ, false)
                                    .handler(new ChannelInboundHandlerAdapter())
                                    .connect(sink.localAddress()).addListener(f -> {
                                        ctx.pipeline().remove(this);
                                        Relay.join(down, ((ChannelFuture) f).channel(), settings, s -> { });
                                    });
                        }
                    }).bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
            try (Socket client = new Socket("127.0.0.1", ((InetSocketAddress) proxy.localAddress()).getPort())) {
                OutputStream out = client.getOutputStream();
                byte[] chunk = new byte[128 * 1024];
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
                long start = System.nanoTime();
                long before = 0;
                while (System.nanoTime() < deadline) {
                    out.write(chunk);
                }
                double secs = (System.nanoTime() - start) / 1e9;
                Thread.sleep(200);
                System.out.printf("relay TCP->MPTCP, writeRetryMicros=%d: %.0f Mbit/s over %.1f s%n",
                        retryMicros, (sunk.get() - before) * 8 / secs / 1e6, secs);
            }
            proxy.close().sync();
            sink.close().sync();
        } finally {
            group.shutdownGracefully().syncUninterruptibly();
            sinkGroup.shutdownGracefully().syncUninterruptibly();
        }
    }
}
