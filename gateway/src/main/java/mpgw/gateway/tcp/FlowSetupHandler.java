package mpgw.gateway.tcp;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.util.concurrent.Future;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import mpgw.connection.Outcome;
import mpgw.gateway.metrics.GatewayMetrics;
import mpgw.gateway.upstream.Attempt;
import mpgw.gateway.upstream.FastOpenStatus;
import mpgw.gateway.upstream.PathSampler;
import mpgw.gateway.upstream.Socks5ClientHandshake.Opening;
import mpgw.gateway.upstream.Socks5ClientHandshake;
import mpgw.gateway.upstream.Socks5HandshakeException;
import mpgw.gateway.upstream.UpstreamOpener;
import mpgw.gateway.upstream.UpstreamTls;
import mpgw.relay.Relay;
import mpgw.relay.RelaySettings;
import mpgw.tls.HandshakeResult;

/**
 * Carries one flow from "destination known" to "relaying", in three steps:
 * <ol>
 *   <li>get an upstream connection: {@link UpstreamOpener} starts the flow's {@link Attempt}, which decides
 *       between a warm connection, a fast-open wait and a fresh connect, and retries a dead warm one;</li>
 *   <li>the SOCKS5 handshake on it ({@link Socks5ClientHandshake}), with the client's early bytes
 *       ({@link EarlyDataBuffer});</li>
 *   <li>the relay: both channels go to {@link Relay}, the upstream's paths to {@link PathSampler}.</li>
 * </ol>
 * Any failure on the way ends the flow and resets the client connection ({@link mpgw.relay.ConnectionReset}); a
 * client that leaves meanwhile cancels the upstream.
 *
 * <p>Threading: the downstream channel's event loop, which the upstream shares.
 */
final class FlowSetupHandler extends ChannelInboundHandlerAdapter implements Attempt.Listener {
    private final UpstreamOpener opener;
    private final EarlyDataBuffer early;
    private final GatewayMetrics metrics;
    private final Duration pathSampleInterval;
    private final RelaySettings relay;
    private ChannelHandlerContext ctx;
    private Attempt attempt;

    FlowSetupHandler(UpstreamOpener opener, EarlyDataBuffer early, GatewayMetrics metrics, Duration pathSampleInterval, RelaySettings relay) {
        this.opener = opener;
        this.relay = relay;
        this.early = early;
        this.metrics = metrics;
        this.pathSampleInterval = pathSampleInterval;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    /** Step 1: get an upstream connection. */
    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        attempt = opener.open(ctx.channel(), Flow.of(ctx.channel()).destination(), early, this);
    }

    @Override
    public void unreachable(Throwable cause) {
        Flow.of(ctx.channel()).refuse(Outcome.UPSTREAM_UNREACHABLE, cause.getMessage());
    }

    /** Step 2: the attempt runs the SOCKS5 handshake on the connection it got. */
    @Override
    public void handshakeStarted(InetSocketAddress server) {
        Flow.of(ctx.channel()).server(server);
    }

    @Override
    public void handshakeEnded(Channel upstream, Future<Channel> handshake, long started, Opening opening) {
        Throwable cause = handshake.cause();
        HandshakeResult tls = UpstreamTls.result(upstream);
        if (tls != null && !tls.isOk()) {
            // The server showed a certificate not pinned here (or TLS failed otherwise): the full fingerprint goes
            // in the line, the value to pin if it is really router B's.
            if (tls.peer() != null) {
                Flow.of(ctx.channel()).serverCertificate(tls.peer().toString());
            }
            Flow.of(ctx.channel()).refuse(Outcome.HANDSHAKE_FAILED, "tls " + tls.outcome().tag() + " after "
                    + tls.elapsed().toMillis() + " ms: " + tls.detail());
            return;
        }
        if (tls != null) {
            Flow.of(ctx.channel()).serverCertificate(UpstreamTls.shortForm(tls.peer()));
        }
        int reply = cause instanceof Socks5HandshakeException e ? e.replyCode() : 0;
        if (cause == null || reply > 0) {
            metrics.handshakeCompleted(System.nanoTime() - started);
            metrics.socksReply(reply);
            if (opening == Opening.REQUEST_SENT) {
                metrics.fastOpen(FastOpenStatus.synDataAcked(upstream));
            }
        }
        if (cause != null && reply > 0) {
            Flow.of(ctx.channel()).refusedBy(reply, cause.getMessage());
            return;
        }
        if (cause != null) {
            Flow.of(ctx.channel()).refuse(cause instanceof Socks5HandshakeException e && e.isTimeout()
                    ? Outcome.HANDSHAKE_TIMEOUT : Outcome.HANDSHAKE_FAILED, cause.getMessage()
                    + (tls != null && reply == 0 ? refusedCertificateHint(upstream) : ""));
            return;
        }
        relay(upstream);
    }

    /**
     * In TLS 1.3 the client's handshake ends before the server has judged its certificate, so a server that does
     * not pin this gateway shows up as a close (or an alert) before the first SOCKS5 reply, after {@code tls=ok}.
     */
    private static String refusedCertificateHint(Channel upstream) {
        UpstreamTls tls = UpstreamTls.of(upstream);
        return tls == null ? "" : " (after TLS ok: router B closes a gateway whose certificate it does not pin;"
                + " is " + tls.own() + " in its server.tls.peers?)";
    }

    /** Step 3: the relay takes both channels. */
    private void relay(Channel upstream) {
        Channel downstream = ctx.channel();
        if (!downstream.isActive()) {
            upstream.close();
            return;
        }
        Flow flow = Flow.of(downstream);
        ctx.pipeline().remove(early);
        ctx.pipeline().remove(this);
        flow.relaying(early.taken());
        Relay.join(downstream, upstream, relay, flow.meter(), flow::relayEnded);
        if (early.inputShutdown()) {
            // The client's FIN came during the handshake; the relay passes it on like one it read itself.
            downstream.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
        }
        PathSampler.start(upstream, pathSampleInterval, metrics);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        if (attempt != null) {
            attempt.release();
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
        if (attempt != null) {
            attempt.cancel();
        }
        ctx.fireChannelInactive();
    }
}
