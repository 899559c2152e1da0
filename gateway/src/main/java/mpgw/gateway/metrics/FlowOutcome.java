package mpgw.gateway.metrics;

import java.util.Locale;

/** How a flow ended; the {@code outcome} tag of the flow metrics and the last word of the flow log line. */
public enum FlowOutcome {
    /** Relayed until both sides closed (or one failed mid-relay). */
    RELAYED,
    /** The socks-server answered CONNECT with a non-zero reply; the client got a RST. */
    REFUSED,
    /** No socks-server address could be connected; the client got a RST. */
    UPSTREAM_UNREACHABLE,
    /** The SOCKS5 handshake failed (auth, protocol error, server closed); the client got a RST. */
    HANDSHAKE_FAILED,
    /** No CONNECT reply within the handshake timeout; the client got a RST. */
    HANDSHAKE_TIMEOUT,
    /** The destination was the gateway itself or loopback; the client got a RST. */
    LOOP,
    /** The original destination could not be read (no NAT entry); the client got a RST. */
    NO_DESTINATION,
    /** The client went away before the relay started. */
    CLIENT_GONE;

    /** The tag and log spelling: {@code upstream-unreachable}. */
    public String tag() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
