package mpgw.server;

import java.util.Locale;

/** Why a connection or datagram was refused or discarded; the bounded tag value of the drops metric. */
public enum Drop {
    /** Client address not in {@code clients.allow}; closed at accept. */
    CLIENT_NOT_ALLOWED,
    /** {@code limits.max-connections} reached; closed at accept. */
    CONNECTION_LIMIT,
    /** {@code limits.max-connections-per-client} reached; closed at accept. */
    CLIENT_LIMIT,
    /** No complete request within {@code timeouts.handshake}. */
    HANDSHAKE_TIMEOUT,
    /** A UDP ASSOCIATE datagram with FRAG != 0 (fragmentation is not supported). */
    UDP_FRAGMENT,
    /** A datagram on an association's port from an address other than the client's. */
    UDP_FOREIGN_SOURCE,
    /** A datagram whose SOCKS5 header does not parse. */
    UDP_MALFORMED,
    /** A datagram to a destination the rules deny. */
    UDP_DENIED,
    /** A datagram to a name that did not resolve. */
    UDP_UNRESOLVED,
    /** A datagram that could not be queued because the socket or stream it goes to is full. */
    UDP_BACKPRESSURE,
    /**
     * A datagram the kernel refused to send: a broadcast address (EACCES), no route (ENETUNREACH), a full
     * interface queue. Logged once per interval per client with the error, without a stack trace.
     */
    UDP_SEND_FAILED,
    /** A connection to a BIND listener from another address than the request's DST.ADDR; refused. */
    BIND_FOREIGN_PEER,
    /** A UDP ASSOCIATE on a TLS listener without {@code tls.allow-associate}; answered 0x07. */
    ASSOCIATE_ON_TLS,
    /** A reply datagram that arrived before the client sent anything (its UDP port is unknown). */
    UDP_NO_CLIENT_YET;

    /** The tag value: lower-case with hyphens. */
    public String tag() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
