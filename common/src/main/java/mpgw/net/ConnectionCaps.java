package mpgw.net;

import java.net.InetAddress;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Counts open connections, in total and per client address, against two caps (the gateway's
 * {@code limits.max-flows} and {@code max-flows-per-client}). Thread-safe: accepted channels live on several event
 * loops. Each successful {@link #tryAcquire} is paired with one {@link #release} when the connection closes.
 */
public final class ConnectionCaps {
    /** Which cap refused a connection. */
    public enum Refusal { TOTAL, PER_CLIENT }

    private final int maxTotal;
    private final int maxPerClient;
    private final AtomicInteger total = new AtomicInteger();
    private final ConcurrentHashMap<InetAddress, AtomicInteger> perClient = new ConcurrentHashMap<>();

    public ConnectionCaps(int maxTotal, int maxPerClient) {
        this.maxTotal = maxTotal;
        this.maxPerClient = maxPerClient;
    }

    /** Takes a slot for {@code client}: null when admitted, else the cap that refused it. */
    public Refusal tryAcquire(InetAddress client) {
        if (total.incrementAndGet() > maxTotal) {
            total.decrementAndGet();
            return Refusal.TOTAL;
        }
        boolean[] refused = new boolean[1];
        perClient.compute(client, (k, n) -> {
            AtomicInteger c = n == null ? new AtomicInteger() : n;
            if (c.get() >= maxPerClient) {
                refused[0] = true;
            } else {
                c.incrementAndGet();
            }
            return c.get() == 0 ? null : c;
        });
        if (refused[0]) {
            total.decrementAndGet();
            return Refusal.PER_CLIENT;
        }
        return null;
    }

    public void release(InetAddress client) {
        total.decrementAndGet();
        perClient.computeIfPresent(client, (k, n) -> n.decrementAndGet() <= 0 ? null : n);
    }

    /** Client addresses with at least one connection open now. */
    public int clients() {
        return perClient.size();
    }

    /** Whether {@code client} has a connection open now. */
    public boolean holds(InetAddress client) {
        return perClient.containsKey(client);
    }

    /** Connections holding a slot now. */
    public int open() {
        return total.get();
    }
}
