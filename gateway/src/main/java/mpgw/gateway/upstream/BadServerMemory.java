package mpgw.gateway.upstream;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Remembers socks-server addresses that recently failed to connect (or were too slow to win a race), so new
 * flows try them last until the memory expires. Thread-safe: all event loops share one instance.
 */
public final class BadServerMemory {
    private final long memoryNanos;
    private final LongSupplier clock;
    private final Map<InetSocketAddress, Long> badUntil = new ConcurrentHashMap<>();

    public BadServerMemory(Duration memory) {
        this(memory, System::nanoTime);
    }

    BadServerMemory(Duration memory, LongSupplier clock) {
        this.memoryNanos = memory.toNanos();
        this.clock = clock;
    }

    public void markBad(InetSocketAddress server) {
        if (memoryNanos > 0) {
            badUntil.put(server, clock.getAsLong() + memoryNanos);
        }
    }

    public void markGood(InetSocketAddress server) {
        badUntil.remove(server);
    }

    public boolean isBad(InetSocketAddress server) {
        Long until = badUntil.get(server);
        if (until == null) {
            return false;
        }
        if (clock.getAsLong() - until >= 0) {
            badUntil.remove(server, until);
            return false;
        }
        return true;
    }

    /** {@code servers} in their configured order, except that the bad ones come last (in configured order). */
    public List<InetSocketAddress> order(List<InetSocketAddress> servers) {
        List<InetSocketAddress> good = new ArrayList<>(servers.size());
        List<InetSocketAddress> bad = new ArrayList<>();
        for (InetSocketAddress s : servers) {
            (isBad(s) ? bad : good).add(s);
        }
        good.addAll(bad);
        return good;
    }
}
