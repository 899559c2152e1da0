package mpgw.gateway.udp;

import java.util.Locale;

/** Why the gateway dropped a datagram; the tag of {@code mpgw_gateway_udp_drops_total{reason}}. */
public enum UdpDrop {
    /** A new client would exceed {@code udp.max-sessions}. */
    SESSION_CAP,
    /** Longer than {@code udp.max-datagram-size}. */
    OVERSIZED,
    /** The destination is in {@code udp.destinations.deny}. */
    DENIED,
    /** The kernel gave no original destination: the datagram did not come through a TPROXY rule. */
    NO_DESTINATION,
    /** More than {@code udp.pending-limit} datagrams waited for the session's carrier to come up. */
    QUEUE_FULL,
    /** The carrier could not take it now (stream not writable); UDP may lose, memory stays bounded. */
    BACKPRESSURE,
    /** The carrier failed to come up or went away with datagrams still waiting. */
    CARRIER_FAILED,
    /** A reply from router B that could not be parsed (bad SOCKS5 UDP header). */
    MALFORMED,
    /** A UDP ASSOCIATE reply with FRAG != 0 (fragmentation is not supported). */
    FRAGMENT,
    /** No transparent socket could be bound to the reply's source address. */
    REPLY_SOCKET,
    /** The kernel refused to send a reply to the LAN client (no route, a firewall's EPERM, ENOBUFS). */
    SEND_FAILED,
    /** A new session would exceed {@code limits.udp-sessions-per-client} for its client address. */
    CLIENT_SESSIONS,
    /** Bytes queued for the client address would exceed {@code limits.udp-queued-bytes-per-client}. */
    CLIENT_BYTES,
    /** The queue is over half of {@code limits.udp-queued-bytes} and the client holds its equal part of it. */
    FAIR_SHARE,
    /** Bytes queued for all clients would exceed {@code limits.udp-queued-bytes}. */
    BUDGET,
    /** The client sends faster than its share of {@code limits.link-bytes-per-second} ({@link UdpLinkShare}). */
    LINK_SHARE;

    public String tag() {
        return name().toLowerCase(Locale.ROOT);
    }
}
