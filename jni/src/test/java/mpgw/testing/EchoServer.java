package mpgw.testing;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import java.net.InetSocketAddress;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

/** A Netty echo server for tests; it also hands out each accepted channel so tests can inspect it. */
public final class EchoServer implements AutoCloseable {
    private final Channel channel;
    private final BlockingQueue<Channel> accepted = new LinkedBlockingQueue<>();

    public EchoServer(EventLoopGroup group, ChannelFactory<? extends ServerChannel> factory, InetSocketAddress bind)
            throws InterruptedException {
        channel = new ServerBootstrap().group(group).channelFactory(factory)
                .childHandler(new ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelActive(ChannelHandlerContext ctx) {
                        accepted.add(ctx.channel());
                    }

                    @Override
                    public void channelRead(ChannelHandlerContext ctx, Object msg) {
                        ctx.writeAndFlush(msg);
                    }
                }).bind(bind).sync().channel();
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) channel.localAddress();
    }

    public Channel nextAccepted() throws InterruptedException {
        return accepted.poll(10, java.util.concurrent.TimeUnit.SECONDS);
    }

    @Override
    public void close() throws InterruptedException {
        channel.close().sync();
    }
}
