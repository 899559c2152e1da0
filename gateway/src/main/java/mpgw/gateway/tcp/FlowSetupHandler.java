package mpgw.gateway.tcp;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.socksx.v5.Socks5CommandType;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import mpgw.gateway.upstream.Socks5ClientHandshake.Opening;
import mpgw.gateway.upstream.pool.UpstreamPool;
import mpgw.relay.Relay;
import mpgw.gateway.upstream.UpstreamConnector;
import mpgw.gateway.upstream.SynPayload;
import mpgw.gateway.upstream.FastOpenStatus;
import mpgw.gateway.upstream.FirstBytesWait;
import mpgw.gateway.upstream.RetainingEarlyData;
import mpgw.gateway.upstream.EarlyData;
import mpgw.gateway.upstream.PathSampler;
import mpgw.gateway.upstream.Socks5ClientHandshake;
import mpgw.gateway.upstream.Socks5ClientSettings;
import mpgw.gateway.upstream.Socks5HandshakeException;
import mpgw.gateway.metrics.GatewayMetrics;
import mpgw.gateway.metrics.FlowOutcome;

/**
 * Carries one flow from "destination known" to "relaying": connects the upstream ({@link UpstreamConnector}),
 * runs the SOCKS5 handshake on it ({@link Socks5ClientHandshake}) with the client's early bytes
 * ({@link EarlyDataBuffer}), then hands both channels to {@link Relay}. Any failure on the way ends the flow and
 * resets the client connection ({@link mpgw.relay.ConnectionReset}); a client that leaves meanwhile cancels the upstream.
 *
 * <p>With fast open and no pool hit, the connect waits up to {@code upstream.fast-open-wait} for the client's
 * first bytes ({@link FirstBytesWait}), which then ride in the SYN after the SOCKS request ({@link SynPayload}).
 *
 * <p>With a warm pool ({@link UpstreamPool}), a ready member replaces the connect and the greeting; a member
 * that fails before the CONNECT reply without a reply code (RST, EOF, write error) is retried once on a fresh
 * connection with the same client bytes ({@link RetainingEarlyData}).
 *
 * <p>Threading: the downstream channel's event loop, which the upstream shares.
 */
final class FlowSetupHandler extends ChannelInboundHandlerAdapter {
    private static final long POOLED_WATCH_MILLIS = 200;
    private final UpstreamConnector connector;
    private final UpstreamPool pool;
    private final Socks5ClientSettings socks;
    private final GatewayMetrics metrics;
    private final Duration pathSampleInterval;
    private final Duration fastOpenWait;
    private FirstBytesWait waiting;
    private SynPayload synPayload;
    private Future<Channel> connecting;
    private Channel upstream;
    private RetainingEarlyData retained;

    FlowSetupHandler(UpstreamConnector connector, UpstreamPool pool, Socks5ClientSettings socks,
                     GatewayMetrics metrics, Duration pathSampleInterval, Duration fastOpenWait) {
        this.connector = connector;
        this.pool = pool;
        this.socks = socks;
        this.metrics = metrics;
        this.pathSampleInterval = pathSampleInterval;
        this.fastOpenWait = fastOpenWait;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        Channel pooled = pool.take(ctx.channel().eventLoop());
        if (pooled != null) {
            EarlyDataBuffer buffer = (EarlyDataBuffer) ctx.pipeline().get(GatewayPipeline.EARLY_DATA);
            retained = new RetainingEarlyData(buffer, ctx.alloc());
            startHandshake(ctx, pooled, Opening.GREETED);
        } else if (carriesFirstBytes()) {
            EarlyDataBuffer buffer = (EarlyDataBuffer) ctx.pipeline().get(GatewayPipeline.EARLY_DATA);
            if (buffer.size() > 0 || buffer.inputShutdown()) {
                connectFresh(ctx);
            } else {
                waiting = FirstBytesWait.start(buffer, ctx.executor(), fastOpenWait, () -> {
                    if (ctx.channel().isActive()) { // a RST also ends the wait, as an EOF after the close
                        connectFresh(ctx);
                    }
                });
            }
        } else {
            connectFresh(ctx);
        }
    }

    /** Client bytes may go into the SYN: fast open, a wait configured, and the request need not wait for replies. */
    private boolean carriesFirstBytes() {
        return connector.fastOpen() && !fastOpenWait.isZero() && socks.pipelined();
    }

    private void connectFresh(ChannelHandlerContext ctx) {
        Flow flow = Flow.of(ctx.channel());
        Supplier<ByteBuf> request = () -> Socks5ClientHandshake.request(socks, Socks5CommandType.CONNECT,
                flow.destination(), ctx.alloc().buffer());
        if (retained == null && carriesFirstBytes()) {
            // Taken here, so counted once in the flow's early bytes wherever they are sent.
            EarlyDataBuffer buffer = (EarlyDataBuffer) ctx.pipeline().get(GatewayPipeline.EARLY_DATA);
            synPayload = new SynPayload(request, buffer.take());
            connecting = connector.connect(ctx.channel().eventLoop(), synPayload);
        } else {
            connecting = connector.connect(ctx.channel().eventLoop(), attempt -> request.get());
        }
        connecting.addListener(f -> connected(ctx));
    }

    private void connected(ChannelHandlerContext ctx) {
        Flow flow = Flow.of(ctx.channel());
        if (connecting.isCancelled()) {
            return;
        }
        if (!connecting.isSuccess()) {
            flow.refuse(FlowOutcome.UPSTREAM_UNREACHABLE, connecting.cause().getMessage());
            return;
        }
        Channel channel = connecting.getNow();
        if (synPayload != null) {
            ByteBuf unsent = synPayload.unsentOn(channel);
            synPayload = null;
            if (unsent.isReadable()) {
                channel.write(unsent); // after the request in the outbound buffer; the handshake flushes
            } else {
                unsent.release();
            }
        }
        startHandshake(ctx, channel, connector.fastOpen() ? Opening.REQUEST_SENT : Opening.FRESH);
    }

    private void startHandshake(ChannelHandlerContext ctx, Channel channel, Opening opening) {
        Flow flow = Flow.of(ctx.channel());
        upstream = channel;
        InetSocketAddress server = (InetSocketAddress) upstream.remoteAddress();
        flow.server(server);
        if (!ctx.channel().isActive()) {
            upstream.close();
            return;
        }
        Promise<Channel> handshake = upstream.eventLoop().newPromise();
        long started = System.nanoTime();
        handshake.addListener(f -> handshakeDone(ctx, handshake, started, opening));
        EarlyData early = retained != null ? retained
                : (EarlyDataBuffer) ctx.pipeline().get(GatewayPipeline.EARLY_DATA);
        upstream.pipeline().addLast(GatewayPipeline.SOCKS5_HANDSHAKE,
                new Socks5ClientHandshake(server, flow.destination(), socks, early, handshake,
                        Socks5CommandType.CONNECT, opening));
        if (opening == Opening.GREETED) {
            watchPooled(channel, handshake);
        }
    }

    /**
     * A pooled member whose subflows were reset at the first write does not close: the MPTCP connection waits
     * for a subflow that never comes. While the CONNECT reply is pending, such a member is closed, which makes
     * the flow retry on a fresh connection.
     */
    private static void watchPooled(Channel member, Future<Channel> handshake) {
        Future<?> watch = member.eventLoop().scheduleAtFixedRate(() -> {
            if (!handshake.isDone() && UpstreamPool.lostEverySubflow(member)) {
                member.close();
            }
        }, POOLED_WATCH_MILLIS, POOLED_WATCH_MILLIS, TimeUnit.MILLISECONDS);
        handshake.addListener(f -> watch.cancel(false));
    }

    private void handshakeDone(ChannelHandlerContext ctx, Future<Channel> handshake, long started,
                               Opening opening) {
        Flow flow = Flow.of(ctx.channel());
        Throwable cause = handshake.cause();
        int reply = cause instanceof Socks5HandshakeException e ? e.replyCode() : 0;
        if (opening == Opening.GREETED && cause instanceof Socks5HandshakeException e
                && reply == Socks5HandshakeException.NO_REPLY
                && !e.isTimeout() && ctx.channel().isActive()) {
            // The pooled connection was dead after all (RST or EOF at the first write): once more, fresh.
            metrics.poolRetried();
            retained.rewind();
            upstream = null;
            connectFresh(ctx);
            return;
        }
        if (cause == null || reply > 0) {
            metrics.handshakeCompleted(System.nanoTime() - started);
            metrics.socksReply(reply);
            if (opening == Opening.REQUEST_SENT) {
                metrics.fastOpen(FastOpenStatus.synDataAcked(upstream));
            }
        }
        if (cause != null) {
            FlowOutcome outcome = reply > 0 ? FlowOutcome.REFUSED
                    : cause instanceof Socks5HandshakeException e && e.isTimeout() ? FlowOutcome.HANDSHAKE_TIMEOUT
                    : FlowOutcome.HANDSHAKE_FAILED;
            flow.refuse(outcome, cause.getMessage());
            return;
        }
        Channel downstream = ctx.channel();
        if (!downstream.isActive()) {
            upstream.close();
            return;
        }
        EarlyDataBuffer early = (EarlyDataBuffer) ctx.pipeline().remove(GatewayPipeline.EARLY_DATA);
        ctx.pipeline().remove(this);
        flow.relaying(early.taken());
        Relay.join(downstream, upstream, flow.meter(), flow::relayEnded);
        if (early.inputShutdown()) {
            // The client's FIN came during the handshake; the relay passes it on like one it read itself.
            downstream.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
        }
        PathSampler.start(upstream, pathSampleInterval, metrics);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        if (waiting != null) {
            waiting.cancel();
        }
        if (synPayload != null) {
            synPayload.release();
            synPayload = null;
        }
        if (retained != null) {
            retained.release();
            retained = null;
        }
    }

    /**
     * A read error on the client connection before the relay runs (a RST: the client left) closes it, so the
     * upstream connect is cancelled or never started. Netty would otherwise only shut the input down, since the
     * channel allows half-closure, and the flow would go on to a destination nobody listens to.
     */
    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof IOException) {
            ctx.close();
        } else {
            ctx.fireExceptionCaught(cause);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        // The client left before the relay started.
        if (waiting != null) {
            waiting.cancel();
        }
        if (connecting != null && !connecting.isDone()) {
            connecting.cancel(false);
        }
        if (upstream != null) {
            upstream.close();
        }
        ctx.fireChannelInactive();
    }
}
