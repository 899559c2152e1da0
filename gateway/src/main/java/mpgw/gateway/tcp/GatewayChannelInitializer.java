package mpgw.gateway.tcp;

import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.SocketChannel;
import mpgw.gateway.upstream.pool.UpstreamPool;
import mpgw.gateway.upstream.UpstreamConnector;
import mpgw.gateway.upstream.Socks5ClientHandshake;
import mpgw.gateway.metrics.GatewayMetrics;
import mpgw.gateway.config.GatewaySettings;

/**
 * The table of contents of an intercepted TCP flow (slot names and phases in {@link GatewayPipeline}):
 * <ol>
 *   <li>{@link IdleTimeoutHandler}: closes a flow idle in both directions.</li>
 *   <li>{@link OriginalDstHandler}: where the client was going; refuses loops.</li>
 *   <li>{@link EarlyDataBuffer}: the client's first bytes, bounded, while the upstream is set up.</li>
 *   <li>{@link FlowSetupHandler}: MPTCP connect to a socks-server ({@link UpstreamConnector}), SOCKS5 CONNECT
 *       ({@link Socks5ClientHandshake}), then {@link mpgw.relay.Relay}; a failure resets the client.</li>
 * </ol>
 */
public final class GatewayChannelInitializer extends ChannelInitializer<SocketChannel> {
    private final GatewaySettings settings;
    private final OriginalDstHandler originalDst;
    private final UpstreamConnector connector;
    private final UpstreamPool pool;
    private final GatewayMetrics metrics;

    public GatewayChannelInitializer(GatewaySettings settings, LoopGuard loopGuard, UpstreamConnector connector,
                              UpstreamPool pool, GatewayMetrics metrics) {
        this.pool = pool;
        this.settings = settings;
        this.originalDst = new OriginalDstHandler(DestinationSource.of(settings.mode()), loopGuard);
        this.connector = connector;
        this.metrics = metrics;
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        Flow.start(ch, metrics);
        ChannelPipeline p = ch.pipeline();
        if (!settings.idleTimeout().isZero()) {
            p.addLast(GatewayPipeline.IDLE_TIMEOUT, new IdleTimeoutHandler(settings.idleTimeout().toMillis()));
        }
        p.addLast(GatewayPipeline.ORIGINAL_DST, originalDst);
        p.addLast(GatewayPipeline.EARLY_DATA, new EarlyDataBuffer(settings.socks().earlyDataLimit()));
        p.addLast(GatewayPipeline.FLOW_SETUP, new FlowSetupHandler(connector, pool, settings.socks(), metrics,
                settings.pathSampleInterval(), settings.fastOpenWait()));
    }
}
