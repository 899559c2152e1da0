package mpgw.server;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.handler.codec.socksx.v5.Socks5CommandStatus;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import mpgw.config.Addresses;
import mpgw.connection.ConnectionRecord;

/**
 * CONNECT (RFC 1928 §4): resolves the destination, applies the destination rules, connects, replies with
 * the outbound socket's real local address as BND.ADDR/BND.PORT, then joins client and destination with
 * {@link TcpRelayStart}. Bytes the client pipelined behind its request are held (reading is off, so at most one
 * read's worth) and written to the destination first.
 *
 * <p>Threading: the outbound channel is registered on the client channel's event loop
 * ({@code Bootstrap.group(inbound.eventLoop())}), so everything here runs on one thread without locks.
 */
final class ConnectHandler extends CommandHandler {
    private final ServerContext context;
    private final InetSocketAddress destination;
    private final ArrayDeque<ByteBuf> earlyData = new ArrayDeque<>();
    private Channel outbound;
    private boolean done;
    /** The client sent EOF before the relay existed; the relay must still pass it on (half-close). */
    private boolean clientEof;

    ConnectHandler(ServerContext context, InetSocketAddress destination) {
        this.context = context;
        this.destination = destination;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        Channel in = ctx.channel();
        context.resolver().resolve(in.eventLoop(), destination).addListener(f -> {
            if (!in.isActive() || done) {
                return;
            }
            if (!f.isSuccess()) {
                fail(ctx, Socks5CommandStatus.HOST_UNREACHABLE, f.cause().getMessage());
                return;
            }
            InetSocketAddress resolved = (InetSocketAddress) f.getNow();
            ConnectionRecord.of(in).peer(resolved);
            String denial = context.policy().denial(resolved);
            if (denial != null) {
                fail(ctx, Socks5CommandStatus.FORBIDDEN, denial);
                return;
            }
            connect(ctx, resolved);
        });
    }

    private void connect(ChannelHandlerContext ctx, InetSocketAddress resolved) {
        Channel in = ctx.channel();
        ChannelFuture connecting = new Bootstrap()
                .group(in.eventLoop()) // both relay halves on one event loop
                .channel(EpollSocketChannel.class)
                .option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS,
                        (int) Math.min(Integer.MAX_VALUE, context.settings().timeouts().connect().toMillis()))
                .handler(new ChannelInboundHandlerAdapter())
                .connect(resolved);
        outbound = connecting.channel();
        connecting.addListener((ChannelFutureListener) f -> {
            if (done) {
                f.channel().close();
            } else if (!f.isSuccess()) {
                fail(ctx, Replies.forConnectFailure(f.cause(), resolved), f.cause().getMessage());
            } else if (!in.isActive()) {
                f.channel().close();
            } else {
                succeed(ctx, f.channel());
            }
        });
    }

    private void succeed(ChannelHandlerContext ctx, Channel out) {
        done = true;
        Channel in = ctx.channel();
        Replies.grant(context, in, Addresses.normalize((InetSocketAddress) out.localAddress()));

        long early = 0;
        while (!earlyData.isEmpty()) {
            ByteBuf b = earlyData.poll();
            early += b.readableBytes();
            out.write(b, out.voidPromise());
        }
        out.flush();

        TcpRelayStart.join(context, in, out, early, clientEof);
    }

    @Override
    void clientEof(ChannelHandlerContext ctx) {
        clientEof = true;
    }

    private void fail(ChannelHandlerContext ctx, Socks5CommandStatus status, String detail) {
        done = true;
        releaseEarlyData();
        Replies.refuseAndClose(context, ctx.channel(), status, detail);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof ByteBuf && !done) {
            earlyData.add((ByteBuf) msg);
        } else {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        done = true;
        releaseEarlyData();
        if (outbound != null) {
            outbound.close();
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        releaseEarlyData();
    }

    private void releaseEarlyData() {
        ByteBuf b;
        while ((b = earlyData.poll()) != null) {
            b.release();
        }
    }
}
