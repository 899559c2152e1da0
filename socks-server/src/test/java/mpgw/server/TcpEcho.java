package mpgw.server;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import java.net.InetSocketAddress;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A TCP echo server for tests that takes any number of connections, answers EOF with its own (a close) once the
 * echo is written (so half-close can be observed end to end), and reports each client's address.
 */
final class TcpEcho implements AutoCloseable {
    private final Channel channel;
    private final BlockingQueue<InetSocketAddress> clients = new LinkedBlockingQueue<>();

    TcpEcho(String host) throws InterruptedException {
        channel = new ServerBootstrap().group(Loops.GROUP).channel(EpollServerSocketChannel.class)
                .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .childHandler(new EchoHandler()).bind(new InetSocketAddress(host, 0)).sync().channel();
    }

    InetSocketAddress address() {
        return (InetSocketAddress) channel.localAddress();
    }

    /** Forgets the clients seen so far, before a test that checks the next one. */
    void forgetClients() {
        clients.clear();
    }

    /** The remote address of the next accepted connection: where the server's outbound socket was bound. */
    InetSocketAddress nextClient() throws InterruptedException {
        return clients.poll(5, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws InterruptedException {
        channel.close().sync();
    }

    @ChannelHandler.Sharable
    private final class EchoHandler extends ChannelInboundHandlerAdapter {
        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            clients.add((InetSocketAddress) ctx.channel().remoteAddress());
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ctx.writeAndFlush(msg);
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof ChannelInputShutdownEvent) {
                // Our EOF after the echo; the connection is then done both ways, so close it.
                ctx.writeAndFlush(io.netty.buffer.Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
