package mpgw.gateway.udp;

import io.netty.buffer.ByteBuf;
import java.net.InetSocketAddress;

/**
 * One session's way to router B, made by a {@link UdpCarrier}. Event-loop only: every call and every callback
 * runs on the UDP event loop.
 */
interface UdpTunnel {
    /** What a tunnel reports to its session. */
    interface Listener {
        /**
         * {@code tunnel} can take datagrams now. It may be called before {@link UdpCarrier#open} returns (a warm
         * connection: the session's queued datagrams then join the command request's write).
         */
        void ready(UdpTunnel tunnel);

        /** A datagram from {@code source} for the client; the listener owns {@code payload}. */
        void reply(InetSocketAddress source, ByteBuf payload);

        /** A reply was dropped inside the tunnel. */
        void dropped(UdpDrop reason);

        /** The tunnel failed to come up or ended; called at most once, never after {@link #close()}. */
        void closed(String reason);
    }

    /**
     * Sends {@code payload} to {@code destination}, only after {@link Listener#ready()}. Takes ownership; returns
     * false when it had to drop the datagram (backpressure). When it returns true, {@code left} runs exactly once,
     * on the event loop, when the datagram has left the tunnel's queue: written to the socket, or failed there
     * (the budget's bytes are given back then).
     */
    boolean send(InetSocketAddress destination, ByteBuf payload, Runnable left);

    /**
     * True once the server accepted the command. Datagrams may flow before (pipelined behind the request); if the
     * command then fails, they are lost like any datagram and the session ends.
     */
    boolean isEstablished();

    /** Ends the tunnel without a {@link Listener#closed} callback. Idempotent. */
    void close();
}
