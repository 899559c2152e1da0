package mpgw.connection;

import java.util.Locale;

/**
 * How a connection ended, in the words both daemons use: the {@code outcome} field of the connection log line
 * ({@link ConnectionRecord}) and the {@code outcome} tag of {@code mpgw_gateway_flows_total}. The details (which
 * reply, which error) go in the line's {@code reply} and {@code detail} fields, not in more outcomes.
 */
public enum Outcome {
    /** The relay (or UDP session) ran until it ended: both sides closed, one failed mid-relay, or it idled out. */
    RELAYED,
    /** A SOCKS5 reply other than success ended the request (the gateway got it; the socks-server sent it). */
    REFUSED,
    /** Gateway: no socks-server address could be connected; the client got a RST. */
    UPSTREAM_UNREACHABLE,
    /** The SOCKS5 handshake failed: authentication, a malformed message, no acceptable method, a closed peer. */
    HANDSHAKE_FAILED,
    /** The SOCKS5 handshake did not complete in time ({@code timeouts.handshake}). */
    HANDSHAKE_TIMEOUT,
    /** Gateway: the destination was the gateway itself or loopback; the client got a RST. */
    LOOP,
    /** Gateway: the original destination could not be read (no NAT entry); the client got a RST. */
    NO_DESTINATION,
    /** The client closed, reset or failed before the relay started. */
    CLIENT_GONE,
    /**
     * The daemon stopped with the connection still open at the end of the shutdown grace period: both sides got
     * a reset, never a FIN, so a cut transfer cannot look complete.
     */
    CUT,
    /** Gateway: {@code limits.max-flows} or {@code max-flows-per-client} reached; the client got a RST at accept. */
    LIMIT;

    /** The spelling in logs and metric tags: {@code upstream-unreachable}. */
    public String tag() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
