package mpgw.server;

import io.netty.channel.Channel;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import mpgw.config.Addresses;
import mpgw.jni.MptcpInfo;
import mpgw.jni.SubflowInfo;

/**
 * The addresses router A's authenticated connections come from, for the probe responder when TLS is on: the
 * remote address of every subflow of every open connection whose TLS handshake pinned a peer. Router A's probes
 * leave from its link addresses, which are exactly its subflows' (one per link), so the responder answers a link
 * only once a TLS peer has used it, and never a source that merely sits in {@code server.probe.allow}.
 *
 * <p>The subflows of one authenticated connection per {@link #LEARN_EVERY} and source address are read
 * at its handshake and as its joins arrive (a short flow may be gone before any probe asks); the others are only
 * listed, and a probe from an address not known yet triggers a read of all open ones.
 *
 * <p>An address is remembered for {@link #MEMORY} after it was last seen on a subflow or answered, so a link that
 * was blackholed and lost its subflows is still answered when it comes back (its probes are what tell router A
 * to use it again), and an idle router A whose connections all closed stays known while it probes. Learning is
 * done on demand, when a probe comes from an address not known yet, at most once per {@link #REFRESH_EVERY}, and
 * reads at most {@link #MAX_SCANNED} connections: a flood of probes cannot make it scan more. Thread-safe.
 */
final class TlsPeerAddresses {
    static final Duration MEMORY = Duration.ofHours(24);
    static final Duration REFRESH_EVERY = Duration.ofSeconds(1);
    /** At most one authenticated connection per this and source address has its subflows read as its joins arrive. */
    static final Duration LEARN_EVERY = Duration.ofSeconds(1);
    static final int MAX_SCANNED = 1024;
    static final int MAX_ADDRESSES = 1024;
    private static final long READ_TIMEOUT_MILLIS = 200;
    private static final long[] LEARN_AFTER_MILLIS = {0, 100, 500, 2000};

    private final Set<Channel> authenticated = ConcurrentHashMap.newKeySet();
    private final Map<InetAddress, Long> seen = new ConcurrentHashMap<>();
    private volatile long lastRefreshNanos = System.nanoTime() - REFRESH_EVERY.toNanos();
    /** When a connection from each source address last had its subflows read on the schedule. */
    private final Map<InetAddress, Long> lastLearned = new ConcurrentHashMap<>();
    /** Connections whose subflows were read on a schedule (one per {@link #LEARN_EVERY} and source); for tests. */
    private final AtomicInteger learning = new AtomicInteger();

    /** A connection whose TLS handshake pinned a peer: its subflows' addresses count until it closes. */
    void authenticated(Channel ch) {
        authenticated.add(ch);
        ch.closeFuture().addListener(f -> authenticated.remove(ch));
        // A short flow may end before any probe asks: read its subflows now and as the joins arrive (each link's
        // join follows the first subflow by about a round trip), on its own loop. One connection per LEARN_EVERY
        // and source address is enough: a router A's connections all come from the same link addresses (a second
        // router A, with its own source, is learned on its own), and a probe from an address not known yet reads
        // every open connection (knows). Reading each connection cost four timers and four MPTCP_INFO reads per
        // flow, about 2 % of router B's event-loop CPU in the flow-setup profile with TLS (docs/BENCHMARKS.md,
        // "CPU per new flow with TLS").
        if (!(ch.remoteAddress() instanceof InetSocketAddress remote)) {
            return;
        }
        InetAddress source = Addresses.normalize(remote.getAddress());
        long now = System.nanoTime();
        Long last = lastLearned.get(source);
        if (last != null && now - last < LEARN_EVERY.toNanos()) {
            return;
        }
        if (lastLearned.size() >= MAX_ADDRESSES && last == null) {
            lastLearned.clear(); // bounded; at worst a few connections more are read once
        }
        lastLearned.put(source, now);
        learning.incrementAndGet();
        for (long delay : LEARN_AFTER_MILLIS) {
            ch.eventLoop().schedule(() -> subflowSources(ch).forEach(this::remember), delay, TimeUnit.MILLISECONDS);
        }
    }

    /** How many connections had their subflows read on a schedule since start. */
    int connectionsLearnedFrom() {
        return learning.get();
    }

    /** Whether {@code source} is (or was within {@link #MEMORY}) the address of an authenticated subflow. */
    boolean knows(InetAddress source) {
        if (fresh(source)) {
            return true;
        }
        long now = System.nanoTime();
        if (now - lastRefreshNanos < REFRESH_EVERY.toNanos()) {
            return false;
        }
        lastRefreshNanos = now;
        refresh();
        return fresh(source);
    }

    private boolean fresh(InetAddress source) {
        Long at = seen.get(source);
        if (at == null) {
            return false;
        }
        long now = System.nanoTime();
        if (now - at > MEMORY.toNanos()) {
            seen.remove(source, at);
            return false;
        }
        seen.replace(source, at, now); // a link that keeps probing stays known while no connection uses it
        return true;
    }

    /** Reads the subflows of (at most {@link #MAX_SCANNED}) authenticated connections, each on its event loop. */
    private void refresh() {
        List<Channel> scan = new ArrayList<>();
        for (Channel ch : authenticated) {
            if (scan.size() == MAX_SCANNED) {
                break;
            }
            scan.add(ch);
        }
        for (Channel ch : scan) {
            List<InetAddress> addresses;
            try {
                addresses = ch.eventLoop().submit(() -> subflowSources(ch)).get(READ_TIMEOUT_MILLIS,
                        TimeUnit.MILLISECONDS);
            } catch (Exception e) {
                continue; // closed meanwhile, or its loop is busy: the next refresh reads it
            }
            addresses.forEach(this::remember);
        }
    }

    /** On the channel's loop, so its descriptor cannot be closed (and reused) while it is read. */
    private static List<InetAddress> subflowSources(Channel ch) {
        List<InetAddress> out = new ArrayList<>();
        if (!ch.isOpen()) {
            return out;
        }
        if (ch.remoteAddress() instanceof InetSocketAddress remote) {
            out.add(Addresses.normalize(remote.getAddress()));
        }
        try {
            for (SubflowInfo s : MptcpInfo.of(ch).subflows()) {
                if (s.remote() != null) {
                    out.add(Addresses.normalize(s.remote().getAddress()));
                }
            }
        } catch (java.io.IOException | RuntimeException e) {
            // not MPTCP (fell back to TCP) or unreadable: its remote address above is all there is
        }
        return out;
    }

    private void remember(InetAddress a) {
        if (seen.size() >= MAX_ADDRESSES && !seen.containsKey(a)) {
            long now = System.nanoTime();
            seen.entrySet().removeIf(e -> now - e.getValue() > MEMORY.toNanos());
            if (seen.size() >= MAX_ADDRESSES) {
                return;
            }
        }
        seen.put(a, System.nanoTime());
    }
}
