package mpgw.gateway.udp;

import java.net.InetAddress;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import mpgw.net.ConnectionCaps;

/**
 * A LAN host's share of the links for its UDP ({@code gateway.limits.link-bytes-per-second}): each client address
 * sending UDP may hand the gateway at most the links' rate divided by the LAN clients active now (those that sent
 * UDP within the last second, and those with TCP flows open). What is over it is dropped here, before it is queued:
 * a host that floods faster than the links carry gets its share, and the links' queues from router A to router B
 * stay short enough for the other hosts' datagrams, requests and ACKs (docs/udp.md, "A share of the links").
 *
 * <p>The gateway cannot tell what the links carry, so the operator gives their sum; 0 turns the share off. A token
 * bucket per client address, {@link #BURST_NANOS} of its rate deep (at least {@link #MIN_BURST} bytes), so a short
 * burst such as a page's DNS lookups always passes. The per-client rate is recounted every {@link #RECOUNT_NANOS}.
 *
 * <p>Threading: the UDP event loop only; {@link ConnectionCaps} is read from it (it is thread-safe).
 */
final class UdpLinkShare {
    /** No share: every datagram passes (the key is 0, or a unit test without links). */
    static final UdpLinkShare OFF = new UdpLinkShare(0, null);

    static final long ACTIVE_NANOS = 1_000_000_000L;
    static final long RECOUNT_NANOS = 100_000_000L;
    static final long BURST_NANOS = 50_000_000L;
    static final long MIN_BURST = 64 * 1024;

    private final long bytesPerSecond;
    private final ConnectionCaps tcpFlows;
    /** Client addresses that sent UDP within {@link #ACTIVE_NANOS}; each holds a session, so bounded by them. */
    private final Map<InetAddress, Bucket> buckets = new HashMap<>();
    private long perClientRate;
    private int clients;
    private long lastRecount = Long.MIN_VALUE;

    private static final class Bucket {
        double tokens;
        long refilled;
        long lastSent;
    }

    /**
     * @param bytesPerSecond the sum of the links' rates from this router to router B; 0 = no share
     * @param tcpFlows       the TCP half's flows per client address (null: UDP clients only)
     */
    UdpLinkShare(long bytesPerSecond, ConnectionCaps tcpFlows) {
        this.bytesPerSecond = bytesPerSecond;
        this.tcpFlows = tcpFlows;
        this.perClientRate = bytesPerSecond;
        this.clients = 1;
    }

    /** Whether {@code client} may send {@code bytes} more now; takes them from its share when it may. */
    boolean admit(InetAddress client, int bytes, long now) {
        if (bytesPerSecond == 0) {
            return true;
        }
        Bucket b = buckets.get(client);
        if (b == null) {
            b = new Bucket();
            b.tokens = burst();
            b.refilled = now;
            buckets.put(client, b);
            lastRecount = Long.MIN_VALUE; // a new client: its share and the others' change now
        }
        b.lastSent = now;
        if (now - lastRecount >= RECOUNT_NANOS || lastRecount == Long.MIN_VALUE) {
            recount(now);
        }
        b.tokens = Math.min(burst(), b.tokens + perClientRate * ((now - b.refilled) / 1e9));
        b.refilled = now;
        if (b.tokens < bytes) {
            return false;
        }
        b.tokens -= bytes;
        return true;
    }

    /** Forgets the clients quiet for {@link #ACTIVE_NANOS} and divides the links among those left. */
    private void recount(long now) {
        lastRecount = now;
        int udpOnly = 0;
        for (Iterator<Map.Entry<InetAddress, Bucket>> it = buckets.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<InetAddress, Bucket> e = it.next();
            if (now - e.getValue().lastSent >= ACTIVE_NANOS) {
                it.remove();
            } else if (tcpFlows == null || !tcpFlows.holds(e.getKey())) {
                udpOnly++;
            }
        }
        clients = Math.max(1, udpOnly + (tcpFlows == null ? 0 : tcpFlows.clients()));
        perClientRate = bytesPerSecond / clients;
    }

    private double burst() {
        return Math.max(MIN_BURST, perClientRate * (BURST_NANOS / 1e9));
    }

    /** The key, its value and the share now, for the log line of a drop. */
    String limit() {
        return "its share of limits.link-bytes-per-second = " + bytesPerSecond + " (" + perClientRate
                + " bytes/s each for " + clients + " active clients)";
    }

    /** Client addresses with a bucket now (bounded by the sessions open). */
    int tracked() {
        return buckets.size();
    }
}
