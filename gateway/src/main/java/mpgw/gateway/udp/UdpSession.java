package mpgw.gateway.udp;

import io.netty.buffer.ByteBuf;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import mpgw.config.Addresses;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Everything one client socket (address and port) sends through the gateway, to any destination: a full-cone
 * mapping, like the endpoint-independent NAT that games, VoIP and STUN expect. The session owns one
 * {@link UdpTunnel}; datagrams that arrive before it is ready wait (at most {@code udp.pending-limit}), and
 * replies go back to the client from their source address through {@link ReplySockets}.
 *
 * <p>Threading: event-loop only.
 */
final class UdpSession implements UdpTunnel.Listener {
    private static final Logger LOG = LogManager.getLogger(UdpSession.class);

    /**
     * What a queued datagram costs beyond its payload, charged to the budget with it; also makes every charge
     * non-zero. Measured (Netty 4.2.18, JDK 17, class histogram of a gateway with 3,923 datagrams queued on its
     * streams): 224 bytes of heap each (the pooled buffer 72, the outbound queue's entry 64, its promise 48, the
     * refund's lambda 24, the buffer's reference count 16), plus the frame header (10 bytes for IPv4) and the
     * allocator's rounding. It was 64: a flood of small datagrams held about 4 times its budget in memory.
     */
    static final int QUEUE_OVERHEAD = 256;

    private record Pending(InetSocketAddress destination, ByteBuf payload, int charge) {
    }

    private final InetSocketAddress client;
    private final UdpSessionTable table;
    private final ArrayDeque<Pending> pending = new ArrayDeque<>();
    private UdpTunnel tunnel;
    private boolean ready;
    private boolean closed;
    private long lastActive = System.nanoTime();
    private long datagramsUp;
    private long datagramsDown;

    UdpSession(InetSocketAddress client, UdpSessionTable table) {
        this.client = client;
        this.table = table;
    }

    /** Opens the tunnel; call after the first datagram was queued ({@link #send}), so it can join the request. */
    void start(UdpCarrier carrier) {
        UdpTunnel opened = carrier.open(table.loop(), client, this);
        if (tunnel == null) { // not yet ready: the tunnel was not known before
            tunnel = opened;
        }
    }

    InetSocketAddress client() {
        return client;
    }

    long lastActive() {
        return lastActive;
    }

    /** The client has sent one datagram so far (counting those still waiting for the tunnel). */
    boolean isOneShot() {
        return datagramsUp + pending.size() <= 1;
    }

    /**
     * A datagram from the client for {@code destination}; takes ownership of {@code payload}. It is charged to the
     * client's budget until it leaves the gateway; what does not fit is dropped.
     */
    void send(InetSocketAddress destination, ByteBuf payload) {
        lastActive = System.nanoTime();
        int charge = payload.readableBytes() + QUEUE_OVERHEAD;
        if (!table.charge(client, charge)) {
            payload.release();
            return;
        }
        if (ready) {
            forward(destination, payload, charge);
        } else if (pending.size() < table.settings().pendingLimit()) {
            pending.add(new Pending(destination, payload, charge));
        } else {
            payload.release();
            table.refund(client, charge);
            table.metrics().dropped(UdpDrop.QUEUE_FULL);
        }
    }

    private void forward(InetSocketAddress destination, ByteBuf payload, int charge) {
        int n = payload.readableBytes();
        if (tunnel.send(destination, payload, () -> table.refund(client, charge))) {
            datagramsUp++;
            table.metrics().datagram(true, n);
        } else {
            table.refund(client, charge);
            table.metrics().dropped(UdpDrop.BACKPRESSURE);
        }
    }

    @Override
    public void ready(UdpTunnel readyTunnel) {
        tunnel = readyTunnel;
        ready = true;
        Pending p;
        while ((p = pending.poll()) != null) {
            forward(p.destination(), p.payload(), p.charge());
        }
    }

    @Override
    public void reply(InetSocketAddress source, ByteBuf payload) {
        lastActive = System.nanoTime();
        int n = payload.readableBytes();
        UdpDrop drop = table.replies().send(source, client, payload, () -> {
            datagramsDown++; // counted once sent: a send the kernel refuses is a drop (issue 16 D3)
            table.metrics().datagram(false, n);
        });
        if (drop != null) {
            table.metrics().dropped(drop);
        }
    }

    @Override
    public void dropped(UdpDrop reason) {
        table.metrics().dropped(reason);
    }

    @Override
    public void closed(String reason) {
        if (tunnel == null || !tunnel.isEstablished()) {
            table.carrierFailures().log(LOG, "udp session client=" + Addresses.format(client)
                    + ": carrier failed: " + reason);
        }
        end(reason);
    }

    /** Ends the session: the tunnel closes, waiting datagrams are dropped, the table forgets it. Idempotent. */
    void end(String reason) {
        if (closed) {
            return;
        }
        closed = true;
        if (tunnel != null) {
            tunnel.close();
        }
        Pending p;
        while ((p = pending.poll()) != null) {
            p.payload().release();
            table.refund(client, p.charge());
            table.metrics().dropped(UdpDrop.CARRIER_FAILED);
        }
        table.removed(this);
        LOG.debug("udp session client={} ended: {} (datagrams up {}, down {})", Addresses.format(client), reason,
                datagramsUp, datagramsDown);
    }
}
