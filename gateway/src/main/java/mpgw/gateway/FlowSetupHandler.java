package mpgw.gateway;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.net.InetSocketAddress;
import java.time.Duration;
import mpgw.relay.Relay;

/**
 * Carries one flow from "destination known" to "relaying": connects the upstream ({@link UpstreamConnector}),
 * runs the SOCKS5 handshake on it ({@link Socks5ClientHandshake}) with the client's early bytes
 * ({@link EarlyDataBuffer}), then hands both channels to {@link Relay}. Any failure on the way ends the flow and
 * resets the client connection ({@link ConnectionReset}); a client that leaves meanwhile cancels the upstream.
 *
 * <p>Threading: the downstream channel's event loop, which the upstream shares.
 */
final class FlowSetupHandler extends ChannelInboundHandlerAdapter {
    private final UpstreamConnector connector;
    private final Socks5ClientSettings socks;
    private final GatewayMetrics metrics;
    private final Duration pathSampleInterval;
    private Future<Channel> connecting;
    private Channel upstream;

    FlowSetupHandler(UpstreamConnector connector, Socks5ClientSettings socks, GatewayMetrics metrics,
                     Duration pathSampleInterval) {
        this.connector = connector;
        this.socks = socks;
        this.metrics = metrics;
        this.pathSampleInterval = pathSampleInterval;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        connecting = connector.connect(ctx.channel().eventLoop());
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
        upstream = connecting.getNow();
        InetSocketAddress server = (InetSocketAddress) upstream.remoteAddress();
        flow.server(server);
        if (!ctx.channel().isActive()) {
            upstream.close();
            return;
        }
        Promise<Channel> handshake = upstream.eventLoop().newPromise();
        long started = System.nanoTime();
        handshake.addListener(f -> handshakeDone(ctx, handshake, started));
        EarlyDataBuffer early = (EarlyDataBuffer) ctx.pipeline().get(GatewayPipeline.EARLY_DATA);
        upstream.pipeline().addLast(GatewayPipeline.SOCKS5_HANDSHAKE,
                new Socks5ClientHandshake(server, flow.destination(), socks, early, handshake));
    }

    private void handshakeDone(ChannelHandlerContext ctx, Future<Channel> handshake, long started) {
        Flow flow = Flow.of(ctx.channel());
        Throwable cause = handshake.cause();
        int reply = cause instanceof Socks5HandshakeException e ? e.replyCode() : 0;
        if (cause == null || reply > 0) {
            metrics.handshakeCompleted(System.nanoTime() - started);
            metrics.socksReply(reply);
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
    public void channelInactive(ChannelHandlerContext ctx) {
        // The client left before the relay started.
        if (connecting != null && !connecting.isDone()) {
            connecting.cancel(false);
        }
        if (upstream != null) {
            upstream.close();
        }
        ctx.fireChannelInactive();
    }
}
