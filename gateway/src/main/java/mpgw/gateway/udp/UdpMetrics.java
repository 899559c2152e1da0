package mpgw.gateway.udp;

/**
 * What the UDP path reports, as events; {@link MicrometerUdpMetrics} turns them into meters. All defaults are
 * empty, so {@link #NONE} records nothing. Called on the UDP event loop; must not block or throw.
 */
public interface UdpMetrics {
    UdpMetrics NONE = new UdpMetrics() {
    };

    default void sessionOpened() {
    }

    default void sessionClosed() {
    }

    /** A datagram passed on: {@code up} client to router B, else a reply to the client. */
    default void datagram(boolean up, int bytes) {
    }

    default void dropped(UdpDrop reason) {
    }

    /** Bytes of datagrams queued inside the gateway ({@code limits.udp-queued-bytes}) changed by {@code delta}. */
    default void queuedBytes(long delta) {
    }

    /** Transparent reply sockets open now changed by {@code delta}. */
    default void replySockets(int delta) {
    }
}
