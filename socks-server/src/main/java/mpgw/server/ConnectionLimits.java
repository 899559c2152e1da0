package mpgw.server;

import java.net.InetAddress;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Counts open connections, in total and per client IP, against {@code limits.*}. Thread-safe: accepted
 * channels live on several event loops. Each successful {@link #tryAcquire} is paired with one
 * {@link #release} when the connection closes.
 */
final class ConnectionLimits {
    private final int maxTotal;
    private final int maxPerClient;
    private final AtomicInteger total = new AtomicInteger();
    private final ConcurrentHashMap<InetAddress, AtomicInteger> perClient = new ConcurrentHashMap<>();

    ConnectionLimits(int maxTotal, int maxPerClient) {
        this.maxTotal = maxTotal;
        this.maxPerClient = maxPerClient;
    }

    /** Takes a slot for {@code client}, or returns the limit that refused it. */
    Drop tryAcquire(InetAddress client) {
        if (total.incrementAndGet() > maxTotal) {
            total.decrementAndGet();
            return Drop.CONNECTION_LIMIT;
        }
        boolean[] refused = new boolean[1];
        perClient.compute(client, (k, n) -> {
            AtomicInteger c = n == null ? new AtomicInteger() : n;
            if (c.get() >= maxPerClient) {
                refused[0] = true;
            } else {
                c.incrementAndGet();
            }
            return c;
        });
        if (refused[0]) {
            total.decrementAndGet();
            return Drop.CLIENT_LIMIT;
        }
        return null;
    }

    void release(InetAddress client) {
        total.decrementAndGet();
        perClient.computeIfPresent(client, (k, n) -> n.decrementAndGet() <= 0 ? null : n);
    }

    int open() {
        return total.get();
    }
}
