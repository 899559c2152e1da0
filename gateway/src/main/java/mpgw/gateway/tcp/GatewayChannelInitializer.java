package mpgw.gateway.tcp;

import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.SocketChannel;
import mpgw.gateway.config.GatewaySettings;
import mpgw.gateway.metrics.GatewayMetrics;
import mpgw.gateway.upstream.Attempt;
import mpgw.gateway.upstream.UpstreamOpener;

/**
 * The table of contents of an intercepted TCP flow (slot names and phases in {@link GatewayPipeline}):
 * <ol>
 *   <li>{@link IdleTimeoutHandler}: closes a flow idle in both directions.</li>
 *   <li>{@link OriginalDstHandler}: where the client was going; refuses loops ({@link LoopGuard}).</li>
 *   <li>{@link EarlyDataBuffer}: the client's first bytes, bounded, while the upstream is set up.</li>
 *   <li>{@link FlowSetupHandler}: gets an upstream connection ({@link UpstreamOpener}: warm pool, fast open or a
 *       fresh connect raced over the servers, see {@link Attempt}), runs the SOCKS5 handshake on it
 *       ({@link mpgw.gateway.upstream.Socks5ClientHandshake}), then hands both channels to
 *       {@link mpgw.relay.Relay}; a failure resets the client.</li>
 * </ol>
 */
public final class GatewayChannelInitializer extends ChannelInitializer<SocketChannel> {
    private final GatewaySettings settings;
    private final OriginalDstHandler originalDst;
    private final UpstreamOpener opener;
    private final GatewayMetrics metrics;

    public GatewayChannelInitializer(GatewaySettings settings, LoopGuard loopGuard, UpstreamOpener opener,
                                     GatewayMetrics metrics) {
        this.settings = settings;
        this.originalDst = new OriginalDstHandler(DestinationSource.of(settings.mode()), loopGuard);
        this.opener = opener;
        this.metrics = metrics;
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        Flow.start(ch, metrics);
        ChannelPipeline p = ch.pipeline();
        if (!settings.idleTimeout().isZero()) {
            p.addLast(GatewayPipeline.IDLE_TIMEOUT, new IdleTimeoutHandler(settings.idleTimeout().toMillis()));
        }
        EarlyDataBuffer early = new EarlyDataBuffer(settings.socks().earlyDataLimit());
        p.addLast(GatewayPipeline.ORIGINAL_DST, originalDst);
        p.addLast(GatewayPipeline.EARLY_DATA, early);
        p.addLast(GatewayPipeline.FLOW_SETUP, new FlowSetupHandler(opener, early, metrics,
                settings.pathSampleInterval(), settings.relay()));
    }
}
