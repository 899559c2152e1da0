package mpgw.gateway;


import io.netty.channel.EventLoopGroup;
import javax.net.ssl.SSLException;
import mpgw.gateway.config.GatewaySettings;
import mpgw.gateway.config.UdpSettings;
import mpgw.gateway.config.UpstreamTlsSettings;
import mpgw.gateway.metrics.GatewayMetrics;
import mpgw.gateway.upstream.BadServerMemory;
import mpgw.gateway.upstream.UpstreamConnector;
import mpgw.gateway.upstream.UpstreamOpener;
import mpgw.gateway.upstream.UpstreamTls;
import mpgw.gateway.upstream.WarmUpstreams;
import mpgw.gateway.upstream.pool.UpstreamPool;
import mpgw.jni.MptcpSocketFactory;

/**
 * The way to router B, built once from the gateway's settings and handed to both halves: one
 * {@link BadServerMemory} and one set of metrics for every upstream connect, TCP flows' and UDP sessions' alike.
 * The TCP half gets the connector with fast open (if configured), the warm pool and the {@link UpstreamOpener};
 * the UDP half a connector to {@code udp.servers} without fast open.
 *
 * <p>Thread-safe (immutable).
 */
public final class Upstreams {
    private final GatewaySettings settings;
    private final GatewayMetrics metrics;
    private final UpstreamConnector tcp;
    private final UpstreamConnector udp;
    private final UpstreamTls tls;

    private Upstreams(GatewaySettings settings, GatewayMetrics metrics, UpstreamConnector tcp, UpstreamTls tls) {
        this.settings = settings;
        this.metrics = metrics;
        this.tcp = tcp;
        this.tls = tls;
        this.udp = tcp.withServers(settings.udp().servers());
    }

    /** @throws SSLException when the TLS context cannot be built from the (already loaded) key material */
    public static Upstreams from(GatewaySettings settings, MptcpSocketFactory sockets, GatewayMetrics metrics)
            throws SSLException {
        UpstreamTls tls = tls(settings.tls(), metrics);
        return new Upstreams(settings, metrics, new UpstreamConnector(settings.servers(), sockets, settings.mark(),
                settings.connectTimeout(), settings.connectRaceDelay(), settings.fastOpen(),
                new BadServerMemory(settings.badServerMemory()), metrics, tls), tls);
    }

    /**
     * Whether router B can know this router's link addresses yet: always with TLS off; with TLS on once a
     * handshake has succeeded (router B answers link probes only from its authenticated peers' subflow addresses).
     */
    public boolean probesAnswerable() {
        return tls == null || tls.authenticatedOnce();
    }

    /** The upstream TLS, or null when {@code upstream.tls} is off. */
    private static UpstreamTls tls(UpstreamTlsSettings tls, GatewayMetrics metrics) throws SSLException {
        return tls.enabled()
                ? UpstreamTls.create(tls.own(), tls.peers(), tls.provider(), tls.keyExchange(),
                        tls.handshakeTimeout(), metrics) : null;
    }

    /** The warm pool on the TCP half's event loops, or none when {@code upstream.pool.size = 0}; not started. */
    WarmUpstreams warm(EventLoopGroup group) {
        return settings.pool().enabled()
                ? new UpstreamPool(settings.pool(), group, tcp, settings.socks(), metrics) : WarmUpstreams.NONE;
    }

    /**
     * The UDP half's warm pool on its event loop, to {@code udp.servers}: {@code udp.pool-size} members, the other
     * pool keys from {@code upstream.pool}; none when the size is 0 or the mode is not {@code stream}. Not started.
     */
    public WarmUpstreams udpWarm(EventLoopGroup udpGroup) {
        UdpSettings udpSettings = settings.udp();
        return udpSettings.poolSize() > 0 && udpSettings.mode() == UdpSettings.Mode.STREAM
                ? new UpstreamPool(settings.pool().withSize(udpSettings.poolSize()), udpGroup, udp, settings.socks(),
                        metrics)
                : WarmUpstreams.NONE;
    }

    /** How TCP flows get their upstream connections. */
    UpstreamOpener opener(WarmUpstreams warm) {
        return new UpstreamOpener(tcp, warm, settings.socks(), settings.fastOpenWait(), metrics);
    }

    /** The UDP half's connector: {@code udp.servers}, no fast open. */
    public UpstreamConnector udp() {
        return udp;
    }

    public GatewayMetrics metrics() {
        return metrics;
    }
}
