package mpgw.server;

import io.netty.handler.codec.socksx.v5.Socks5CommandStatus;

/**
 * What the server reports about its traffic, for metrics. Handlers call it; {@link MicrometerServerEvents}
 * records it. Implementations must be thread-safe, cheap, and must never throw (metrics never break traffic).
 */
public interface ServerEvents {
    /** A connection passed the accept checks. */
    void connectionOpened();

    /** A connection that {@link #connectionOpened() opened} has closed. */
    void connectionClosed();

    /** A connection or datagram was refused or discarded. */
    void dropped(Drop reason);

    /** From accept to a complete, authenticated request. */
    void handshakeCompleted(long nanos);

    /** A reply to a request was sent. */
    void replied(Socks5CommandStatus status);

    /** Payload bytes relayed: client to destination ({@code up}) and back ({@code down}). */
    void bytes(long up, long down);

    /** A UDP session (UDP ASSOCIATE or FWD UDP) started or ended. */
    void udpSession(String kind, boolean opened);

    /** One datagram relayed, client to destination ({@code up}) or back. */
    void datagram(boolean up);

    /** Accepting a connection failed (EMFILE, ENFILE, ENOBUFS); the listener pauses ({@code AcceptBackoff}). */
    default void acceptFailed() {
    }

    /** A TLS handshake on a TLS listener ended (any outcome, including a plain client turned away). */
    default void tlsHandshake(mpgw.tls.HandshakeResult result) {
    }

    /** The path watcher re-added {@code endpoints} MPTCP endpoints of {@code iface} after it came back up. */
    default void pathReannounced(String iface, int endpoints) {
    }

    ServerEvents NONE = new ServerEvents() {
        @Override
        public void connectionOpened() {
        }

        @Override
        public void connectionClosed() {
        }

        @Override
        public void dropped(Drop reason) {
        }

        @Override
        public void handshakeCompleted(long nanos) {
        }

        @Override
        public void replied(Socks5CommandStatus status) {
        }

        @Override
        public void bytes(long up, long down) {
        }

        @Override
        public void udpSession(String kind, boolean opened) {
        }

        @Override
        public void datagram(boolean up) {
        }
    };
}
