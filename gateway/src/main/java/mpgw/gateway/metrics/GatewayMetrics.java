package mpgw.gateway.metrics;

import java.net.InetSocketAddress;
import mpgw.connection.Outcome;

/**
 * What the gateway's handlers report about flows, as events; {@link MicrometerGatewayMetrics} turns them into
 * meters. Every method has an empty default, so {@link #NONE} records nothing. Implementations are called from
 * event loops, must be thread-safe, must not block, and must never throw (metrics never break traffic).
 */
public interface GatewayMetrics {
    GatewayMetrics NONE = new GatewayMetrics() {
    };

    /** A client connection was accepted. */
    default void flowStarted() {
    }

    /**
     * A flow ended (once per {@link #flowStarted()}), with the bytes relayed each way; those bytes were already
     * reported to {@link #bytes} while they moved.
     */
    default void flowEnded(Outcome outcome, long bytesUp, long bytesDown) {
    }

    /** Bytes relayed just now: client to server ({@code up}) and back ({@code down}). */
    default void bytes(long up, long down) {
    }

    /** An upstream attempt to {@code server} connected after {@code nanos}. */
    default void upstreamConnected(InetSocketAddress server, long nanos) {
    }

    default void upstreamConnectFailed(InetSocketAddress server) {
    }

    /** The SOCKS5 handshake finished (CONNECT reply read, any code) after {@code nanos}. */
    default void handshakeCompleted(long nanos) {
    }

    /** A CONNECT reply's REP code (0 = succeeded). */
    default void socksReply(int code) {
    }

    /**
     * An upstream connection opened with IPPROTO_MPTCP runs as plain TCP: the server or a middlebox on the way
     * did not take the MPTCP option (one path only). Counted once per connection, at its first sample.
     */
    default void mptcpPeerFallback() {
    }

    /** A sample of an upstream MPTCP connection's subflow count. */
    default void subflows(int count) {
    }

    /**
     * Bytes one subflow sent and received since the previous sample. {@code path} is "local IP -> remote IP:port"
     * (no local port, so the tag set stays bounded by the number of links).
     */
    default void pathBytes(String path, long sent, long received) {
    }

    /**
     * A handshake on a connection that had its SOCKS request queued for the SYN finished: {@code acked} when the
     * server took the SYN data, false when it went out again after the handshake (no cookie yet, or dropped).
     */
    default void fastOpen(boolean acked) {
    }

    /** A flow asked the warm pool for a connection: {@code hit} when it got one. */
    default void poolTake(boolean hit) {
    }

    /** Ready pool members went up or down by {@code delta}. */
    default void poolMembers(int delta) {
    }

    /** A ready pool member was dropped and replaced: closed, expired, lost-subflows, greeting-refused... */
    default void poolReplaced(String reason) {
    }

    /**
     * A flow's pipelined handshake got no command reply in time and a step-by-step one to {@code server} won
     * ({@code socks.pipelined = auto}).
     */
    default void pipeliningFallback(InetSocketAddress server) {
    }

    /** A pooled connection failed before the CONNECT reply and the flow retried on a fresh one. */
    default void poolRetried() {
    }

    /** A TLS handshake on an upstream connection ended (any outcome; {@code gateway.upstream.tls}). */
    default void tlsHandshake(mpgw.tls.HandshakeResult result) {
    }

    /** Accepting a client connection failed (EMFILE, ENFILE, ENOBUFS); the listener pauses. */
    default void acceptFailed() {
    }

    /** The path watcher re-added {@code endpoints} MPTCP endpoints of {@code iface} after it came back up. */
    default void pathReannounced(String iface, int endpoints) {
    }
}
