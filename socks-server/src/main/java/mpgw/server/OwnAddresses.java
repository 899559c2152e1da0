package mpgw.server;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collections;
import java.util.HashSet;
import java.util.Set;
import java.util.TreeSet;
import mpgw.config.Addresses;
import mpgw.log.LogLimiter;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The addresses configured on this host's interfaces, for {@code destinations.deny-own-addresses}, kept current
 * while the server runs: an address that appears later (a DHCP or PPP WAN, issue 16) is refused like the ones
 * there at start.
 *
 * <p>Listing the interfaces costs ~150 µs, too much for every CONNECT at 1,000 flows/s, so the list is cached and
 * re-read on the next check after {@code ip -o monitor address} (a child process, like the path watcher's) reports
 * any address change; the kernel tells the monitor before {@code ip addr add} returns, so the window in which a
 * new address is not yet denied is the monitor's reaction time (milliseconds; in the monitor's first second,
 * before it is surely subscribed, every check re-reads the list). If the monitor cannot run or
 * exits, the list is re-read when it is older than {@link #UNWATCHED_MAX_AGE_NANOS} instead.
 *
 * <p>Threading: {@link #contains} runs on any event loop; the monitor's reader thread only marks the list stale.
 */
final class OwnAddresses implements AutoCloseable {
    private static final Logger LOG = LogManager.getLogger(OwnAddresses.class);
    /** Without the monitor: how old the list may get before a check re-reads it. */
    static final long UNWATCHED_MAX_AGE_NANOS = 1_000_000_000L;
    /**
     * 'ip monitor' says nothing when it has subscribed: for this long after it starts, every check re-reads the
     * list (a few checks at most, at startup), so an address added meanwhile is not missed.
     */
    static final long MONITOR_SETTLE_NANOS = 1_000_000_000L;
    private static final LogLimiter READ_FAILURE_LOG = new LogLimiter(Duration.ofSeconds(10), 1);

    private final boolean enabled;
    private volatile Set<InetAddress> addresses = Set.of();
    private volatile long readAt;
    private volatile boolean stale;
    private volatile boolean watched;
    /** Until then every check re-reads: the monitor has started but may not have subscribed to the kernel yet. */
    private volatile long monitorTrustedAt = System.nanoTime();
    private volatile Process monitor;
    private volatile boolean closed;

    private OwnAddresses(boolean enabled) {
        this.enabled = enabled;
    }

    /** Denies nothing ({@code deny-own-addresses = false}). */
    static OwnAddresses none() {
        return new OwnAddresses(false);
    }

    /**
     * Reads the addresses now and follows their changes. Call it from a thread in the server's network namespace:
     * the monitor process starts in the caller's.
     */
    static OwnAddresses following() {
        OwnAddresses own = new OwnAddresses(true);
        own.startMonitor();
        own.addresses = read(); // at startup a failure is fatal, as before
        own.readAt = System.nanoTime();
        own.stale = false;
        return own;
    }

    boolean contains(InetAddress normalized) {
        if (!enabled) {
            return false;
        }
        if (needsReading()) {
            refresh();
        }
        return addresses.contains(normalized);
    }

    private boolean needsReading() {
        long now = System.nanoTime();
        return stale || now - monitorTrustedAt < 0 || (!watched && now - readAt > UNWATCHED_MAX_AGE_NANOS);
    }

    private synchronized void refresh() {
        if (!needsReading()) {
            return; // another thread re-read the list while this one waited
        }
        stale = false; // before reading: a change reported while reading marks it stale again
        Set<InetAddress> now;
        try {
            now = read();
        } catch (IllegalStateException e) {
            // Out of descriptors, say: keep the last list and try again at the next check.
            stale = true;
            READ_FAILURE_LOG.log(LOG, Level.WARN, "read", "own addresses: {}; keeping the last list {}",
                    e.getMessage(), names(addresses));
            return;
        }
        Set<InetAddress> before = addresses;
        boolean first = readAt == 0;
        addresses = now;
        readAt = System.nanoTime();
        if (!first && !before.equals(now)) {
            LOG.info("own addresses changed: now denied as destinations {} (added {}, removed {})", names(now),
                    names(minus(now, before)), names(minus(before, now)));
        }
    }

    private void startMonitor() {
        try {
            Process p = new ProcessBuilder("ip", "-o", "monitor", "address").redirectErrorStream(true).start();
            p.getOutputStream().close();
            monitor = p;
            monitorTrustedAt = System.nanoTime() + MONITOR_SETTLE_NANOS;
            watched = true;
            Thread reader = new Thread(() -> follow(p), "own-addresses-monitor");
            reader.setDaemon(true);
            reader.start();
        } catch (IOException e) {
            LOG.warn("own addresses: cannot run 'ip -o monitor address' ({}); re-reading them at most every {} ms"
                    + " instead (is iproute2's 'ip' installed?)", e.getMessage(), UNWATCHED_MAX_AGE_NANOS / 1_000_000);
        }
    }

    private void follow(Process p) {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            while (r.readLine() != null) {
                stale = true;
            }
        } catch (IOException e) {
            // the monitor went away: handled below
        }
        watched = false;
        if (!closed) {
            LOG.warn("own addresses: 'ip -o monitor address' exited; re-reading them at most every {} ms instead",
                    UNWATCHED_MAX_AGE_NANOS / 1_000_000);
        }
    }

    private static Set<InetAddress> read() {
        Set<InetAddress> out = new HashSet<>();
        try {
            for (NetworkInterface nif : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                for (InetAddress a : Collections.list(nif.getInetAddresses())) {
                    // Scope ids would make fe80::1%eth0 unequal to the fe80::1 a client sends.
                    out.add(InetAddress.getByAddress(Addresses.normalize(a).getAddress()));
                }
            }
        } catch (SocketException | UnknownHostException e) {
            throw new IllegalStateException("cannot list this host's addresses: " + e.getMessage(), e);
        }
        return Set.copyOf(out);
    }

    private static Set<InetAddress> minus(Set<InetAddress> a, Set<InetAddress> b) {
        Set<InetAddress> out = new HashSet<>(a);
        out.removeAll(b);
        return out;
    }

    private static Set<String> names(Set<InetAddress> set) {
        Set<String> out = new TreeSet<>();
        set.forEach(a -> out.add(a.getHostAddress()));
        return out;
    }

    @Override
    public void close() {
        closed = true;
        Process p = monitor;
        if (p != null) {
            p.destroy();
        }
    }
}
