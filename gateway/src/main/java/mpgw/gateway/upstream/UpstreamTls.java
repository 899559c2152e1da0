package mpgw.gateway.upstream;

import io.netty.channel.Channel;
import io.netty.handler.ssl.SslContext;
import io.netty.util.AttributeKey;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SSLException;
import mpgw.config.Addresses;
import mpgw.gateway.metrics.GatewayMetrics;
import mpgw.log.LogLimiter;
import mpgw.tls.Fingerprint;
import mpgw.tls.HandshakeResult;
import mpgw.tls.KeyExchange;
import mpgw.tls.KeyMaterial;
import mpgw.tls.PinnedPeers;
import mpgw.tls.TlsContexts;
import mpgw.tls.TlsHandlers;
import mpgw.tls.TlsProvider;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * TLS 1.3 on the upstream connections ({@code gateway.upstream.tls}): one client {@link SslContext} for the
 * gateway (its session cache lets later connections to a server resume), put at the head of every upstream
 * pipeline by {@link UpstreamConnector} before the connection is even made, so every carrier that crosses the hop
 * gets it: TCP flows, pool members, the UDP stream carrier.
 *
 * <pre>
 *   tls          SslHandler              handshake starts at connect; writes before its end are queued
 *   tls-outcome  HandshakeOutcomeHandler one result per connection; a failure closes it (then removes itself)
 *   ...          socks5-handshake, pool-idle-watch, relay (UpstreamPipeline)
 * </pre>
 *
 * The SOCKS5 handshake is added behind at once and writes its opening right away: the SslHandler holds it until
 * the TLS handshake ends and sends it with (or right after) the client's Finished, so TLS costs one round trip
 * and SOCKS5 none more.
 *
 * <p>A finished handshake is counted ({@code mpgw_gateway_tls_handshakes_total{result}}, a timer) and left on the
 * channel ({@link #result}) for the flow's log line. A failed one is also logged here, at most once a minute per
 * server address and outcome, with the fingerprint the server showed: pool members and UDP sessions have no flow
 * line of their own. Thread-safe.
 */
public final class UpstreamTls {
    private static final Logger log = LogManager.getLogger(UpstreamTls.class);
    /** How often a failed handshake to one server (and outcome) is logged. */
    static final Duration FAILURE_LOG_INTERVAL = Duration.ofMinutes(1);
    /** Hex digits of the fingerprint in the {@code peer} field of a relayed flow's line, as on the server. */
    static final int SHORT_HEX_DIGITS = 16;
    private static final AttributeKey<HandshakeResult> RESULT = AttributeKey.valueOf(UpstreamTls.class, "result");
    private static final AttributeKey<UpstreamTls> TLS = AttributeKey.valueOf(UpstreamTls.class, "tls");

    private final SslContext context;
    private final Duration handshakeTimeout;
    private final Fingerprint own;
    private final GatewayMetrics metrics;
    private final LogLimiter failures = new LogLimiter(FAILURE_LOG_INTERVAL, 256);
    private volatile boolean authenticatedOnce;

    private UpstreamTls(SslContext context, Duration handshakeTimeout, Fingerprint own, GatewayMetrics metrics) {
        this.context = context;
        this.handshakeTimeout = handshakeTimeout;
        this.own = own;
        this.metrics = metrics;
    }

    /**
     * The gateway's upstream TLS ({@code gateway.upstream.tls}, loaded and checked by the settings).
     *
     * @param own   this router's key and certificate
     * @param peers the socks-servers' certificates accepted
     */
    public static UpstreamTls create(KeyMaterial own, PinnedPeers peers, TlsProvider provider, KeyExchange keyExchange,
                                     Duration handshakeTimeout, GatewayMetrics metrics) throws SSLException {
        return new UpstreamTls(TlsContexts.client(own, peers, provider, keyExchange), handshakeTimeout, own.fingerprint(),
                metrics);
    }

    /** Puts the TLS handlers first in a new upstream channel's pipeline (call before it connects). */
    void addTo(Channel channel, InetSocketAddress server) {
        channel.attr(TLS).set(this);
        // Host and port key the session cache: every connection to this server resumes from one ticket store.
        TlsHandlers.addClient(channel.pipeline(), context, server.getAddress().getHostAddress(), server.getPort(),
                handshakeTimeout, (ch, result) -> finished(ch, server, result));
    }

    private void finished(Channel ch, InetSocketAddress server, HandshakeResult result) {
        ch.attr(RESULT).set(result);
        metrics.tlsHandshake(result);
        if (result.isOk()) {
            authenticatedOnce = true;
        } else {
            failures.log(log, Level.WARN, List.of(server, result.outcome()), "upstream {}: TLS handshake failed: {}",
                    Addresses.format(server), result);
        }
    }

    /**
     * Whether a handshake with a pinned server has succeeded since start: until then router B does not know this
     * router's link addresses and answers none of its link probes (server.probe with TLS on).
     */
    public boolean authenticatedOnce() {
        return authenticatedOnce;
    }

    /** This gateway's certificate fingerprint: what router B must pin. */
    public Fingerprint own() {
        return own;
    }

    /** The TLS of {@code upstream}, or null when it runs without. */
    public static UpstreamTls of(Channel upstream) {
        return upstream.attr(TLS).get();
    }

    /** How the TLS handshake on {@code upstream} ended; null without TLS or while it runs. */
    public static HandshakeResult result(Channel upstream) {
        return upstream.attr(RESULT).get();
    }

    /** {@code sha256:} and the first 16 hex digits: enough to tell a handful of pinned keys apart in a log. */
    public static String shortForm(Fingerprint fingerprint) {
        if (fingerprint == null) {
            return "sha256:?";
        }
        return fingerprint.toString().substring(0, "sha256:".length() + SHORT_HEX_DIGITS);
    }
}
