package mpgw.server;

import io.netty.channel.Channel;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.ssl.SslContext;
import io.netty.util.AttributeKey;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SSLException;
import mpgw.connection.ConnectionRecord;
import mpgw.connection.Outcome;
import mpgw.log.LogLimiter;
import mpgw.tls.Fingerprint;
import mpgw.tls.HandshakeOutcome;
import mpgw.tls.HandshakeResult;
import mpgw.tls.TlsContexts;
import mpgw.tls.TlsHandlers;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.Logger;

/**
 * The TLS side of the listeners in {@code server.listen} when {@code server.tls.enabled}: one server
 * {@link SslContext} shared by all their connections, the TLS handlers at the head of each accepted pipeline
 * ({@link TlsHandlers#addServer}: guard, SslHandler, outcome), and what a finished handshake leaves behind:
 * the metrics ({@link ServerEvents#tlsHandshake}), the peer fingerprint in the connection line, and for a failed
 * handshake an outcome {@code handshake-failed} whose line is let through at most once a minute per client
 * address and TLS outcome ({@link LogLimiter}), so a plaintext client or a scanner that retries cannot flood the
 * log. Thread-safe.
 */
final class TlsListener {
    /** How often the connection line of a failed handshake may appear per client address and outcome. */
    static final Duration FAILURE_LOG_INTERVAL = Duration.ofMinutes(1);
    /** Client addresses (times outcomes) remembered by the limiter; beyond it they share one slot. */
    static final int FAILURE_LOG_KEYS = 4096;
    /** Hex digits of the fingerprint in the {@code peer} field of a served connection's line. */
    static final int SHORT_HEX_DIGITS = 16;

    /** Set on a connection whose TLS handshake failed: its line goes through the limiter. */
    private static final AttributeKey<HandshakeOutcome> FAILED = AttributeKey.valueOf(TlsListener.class, "failed");

    private final SslContext context;
    private final Duration handshakeTimeout;
    private final ServerEvents events;
    private final LogLimiter failures = new LogLimiter(FAILURE_LOG_INTERVAL, FAILURE_LOG_KEYS);
    private final TlsPeerAddresses peers;

    private TlsListener(SslContext context, Duration handshakeTimeout, ServerEvents events, TlsPeerAddresses peers) {
        this.context = context;
        this.peers = peers;
        this.handshakeTimeout = handshakeTimeout;
        this.events = events;
    }

    /** @param peers told of every connection whose handshake pinned a peer (the probe responder's allow list) */
    static TlsListener create(ServerSettings.Tls tls, ServerEvents events, TlsPeerAddresses peers)
            throws SSLException {
        return new TlsListener(TlsContexts.server(tls.own(), tls.peers(), tls.provider(), tls.keyExchange()), tls.handshakeTimeout(),
                events, peers);
    }

    /** Puts the TLS handlers first in a new connection's pipeline (before any SOCKS5 handler). */
    void addTo(ChannelPipeline pipeline) {
        TlsHandlers.addServer(pipeline, context, handshakeTimeout, this::finished);
    }

    private void finished(Channel ch, HandshakeResult result) {
        events.tlsHandshake(result);
        if (result.isOk()) {
            peers.authenticated(ch);
        }
        ConnectionRecord record = ConnectionRecord.of(ch);
        if (record == null) {
            return;
        }
        if (result.isOk()) {
            record.peerCertificate(shortForm(result.peer()));
            return;
        }
        ch.attr(FAILED).set(result.outcome());
        if (result.peer() != null) {
            record.peerCertificate(result.peer().toString()); // in full: the value to pin, if it should be
        }
        record.outcome(Outcome.HANDSHAKE_FAILED, "tls " + result.outcome().tag() + " after "
                + result.elapsed().toMillis() + " ms: " + result.detail());
    }

    /**
     * Logs a connection's line: a served one always, one whose TLS handshake failed at most once per interval per
     * client address and outcome (the line that gets through says how many it stood for).
     */
    void log(Logger log, Channel ch, InetAddress client, ConnectionRecord record) {
        HandshakeOutcome failed = ch.attr(FAILED).get();
        if (failed == null) {
            log.info(record.line());
        } else {
            failures.log(log, Level.INFO, List.of(client, failed), "{}", record.line());
        }
    }

    /** {@code sha256:} and the first 16 hex digits: enough to tell a handful of pinned keys apart in a log. */
    static String shortForm(Fingerprint fingerprint) {
        if (fingerprint == null) {
            return "sha256:?";
        }
        String full = fingerprint.toString();
        return full.substring(0, "sha256:".length() + SHORT_HEX_DIGITS);
    }
}
