package mpgw.tls;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Test harness: a TLS server and clients on loopback with the real pipeline ({@link TlsHandlers}) and epoll. The
 * server echoes; both ends record every {@link HandshakeResult} and every exception that gets past the TLS handlers
 * (there should be none during a handshake).
 */
final class TlsLoopback {
    static final Duration TIMEOUT = Duration.ofSeconds(5);

    /** What one end saw. */
    static final class End {
        final BlockingQueue<HandshakeResult> results = new LinkedBlockingQueue<>();
        final List<Throwable> pastTls = new CopyOnWriteArrayList<>();
        final BlockingQueue<String> received = new LinkedBlockingQueue<>();
        final BlockingQueue<String> ciphers = new LinkedBlockingQueue<>();

        HandshakeResult result() throws InterruptedException {
            HandshakeResult r = results.poll(TIMEOUT.toSeconds() + 5, TimeUnit.SECONDS);
            if (r == null) {
                throw new AssertionError("no handshake result within the timeout");
            }
            return r;
        }
    }

    /** Behind the TLS handlers: optionally echoes, records what arrives and any exception. */
    private static final class Behind extends ChannelInboundHandlerAdapter {
        private final End end;
        private final boolean echo;

        Behind(End end, boolean echo) {
            this.end = end;
            this.echo = echo;
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            SslHandler ssl = ctx.pipeline().get(SslHandler.class);
            if (ssl != null && evt instanceof io.netty.handler.ssl.SslHandshakeCompletionEvent) {
                end.ciphers.add(ssl.engine().getSession().getCipherSuite());
            }
            ctx.fireUserEventTriggered(evt);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf buf = (ByteBuf) msg;
            end.received.add(buf.toString(java.nio.charset.StandardCharsets.US_ASCII));
            if (echo) {
                ctx.writeAndFlush(buf);
            } else {
                buf.release();
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            end.pastTls.add(cause);
            ctx.close();
        }
    }

    static Channel server(EventLoopGroup group, SslContext context, Duration handshakeTimeout, End end)
            throws InterruptedException {
        return new ServerBootstrap().group(group).channel(EpollServerSocketChannel.class)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        TlsHandlers.addServer(ch.pipeline(), context, handshakeTimeout, (c, r) -> end.results.add(r));
                        ch.pipeline().addLast(new Behind(end, true));
                    }
                }).bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
    }

    static Channel client(EventLoopGroup group, SslContext context, Channel server, End end)
            throws InterruptedException {
        return client(group, context, ((InetSocketAddress) server.localAddress()).getPort(), end);
    }

    /** As above, to whatever listens on loopback {@code port} (a raw socket playing a broken server). */
    static Channel client(EventLoopGroup group, SslContext context, int port, End end)
            throws InterruptedException {
        return new Bootstrap().group(group).channel(EpollSocketChannel.class)
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        TlsHandlers.addClient(ch.pipeline(), context, "127.0.0.1", port, TIMEOUT,
                                (c, r) -> end.results.add(r));
                        ch.pipeline().addLast(new Behind(end, false));
                    }
                }).connect(new InetSocketAddress("127.0.0.1", port)).sync().channel();
    }

    /**
     * As {@link #client}, and writes {@code early} from the connection's channelActive, right behind the
     * SslHandler that has just sent its ClientHello: on the event loop, so the handshake cannot have ended yet.
     * {@code doneAtWrite} gets whether it had (to check once the bytes arrived: the connect future completes
     * before channelActive runs).
     */
    static Channel clientWritingOnConnect(EventLoopGroup group, SslContext context, Channel server, End end,
                                          String early, java.util.concurrent.atomic.AtomicBoolean doneAtWrite)
            throws InterruptedException {
        int port = ((InetSocketAddress) server.localAddress()).getPort();
        return new Bootstrap().group(group).channel(EpollSocketChannel.class)
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        TlsHandlers.addClient(ch.pipeline(), context, "127.0.0.1", port, TIMEOUT,
                                (c, r) -> end.results.add(r));
                        ch.pipeline().addLast(new io.netty.channel.ChannelInboundHandlerAdapter() {
                            @Override
                            public void channelActive(io.netty.channel.ChannelHandlerContext ctx) {
                                doneAtWrite.set(ctx.pipeline().get(io.netty.handler.ssl.SslHandler.class)
                                        .handshakeFuture().isDone());
                                ctx.writeAndFlush(io.netty.buffer.Unpooled.copiedBuffer(early,
                                        java.nio.charset.StandardCharsets.US_ASCII));
                                ctx.fireChannelActive();
                            }
                        });
                        ch.pipeline().addLast(new Behind(end, false));
                    }
                }).connect(server.localAddress()).sync().channel();
    }

    static int port(Channel server) {
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    private TlsLoopback() {
    }
}
