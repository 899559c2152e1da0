package mpgw.gateway.upstream.pool;

import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import mpgw.gateway.metrics.GatewayMetrics;
import mpgw.gateway.upstream.Socks5ClientSettings;
import mpgw.gateway.upstream.UpstreamConnector;
import mpgw.gateway.upstream.WarmUpstreams;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * A warm pool of upstream MPTCP connections: connected, SOCKS5 greeting (and authentication) done, subflows
 * joined, so that a new flow sends only its CONNECT request and first bytes, and its first bytes already spread
 * over every link (a fresh MPTCP connection opens its extra subflows only after its first data).
 *
 * <p>The relay needs both channels of a flow on one event loop, so each event loop keeps its own share of the
 * members ({@code size} spread over the loops). A member leaves the pool when it is handed out, when it closes or
 * sends anything while idle, when it loses subflows, or when it has been idle for {@code max-idle} (servers close
 * connections that do not send their request in time); every departure is refilled in the background, after a
 * pause when connecting fails. Members near max-idle are renewed ahead: the replacement is opened first and the old
 * member leaves when it is ready (members opened together would otherwise all expire together, and every flow in
 * the gap before the refills are ready would miss). {@link #take} checks a member again before handing it out; a member that still
 * turns out dead at its first write is the flow's to retry ({@link mpgw.gateway.upstream.Attempt}).
 *
 * <p>Thread-safe: each loop's share is touched only on its loop.
 */
public final class UpstreamPool implements WarmUpstreams {
    private static final Logger log = LogManager.getLogger(UpstreamPool.class);
    private static final long RETRY_PAUSE_MILLIS = 1000;
    private static final long REFILL_DELAY_MILLIS = 10;

    private final Map<EventExecutor, LoopShare> shares = new IdentityHashMap<>();
    private final PoolSettings settings;
    private final UpstreamConnector connector;
    private final Socks5ClientSettings socks;
    private final GatewayMetrics metrics;
    /** How long before max-idle a member's replacement is opened: time to connect, greet and join, with margin. */
    private final long renewAheadNanos;
    private volatile boolean closed;

    public UpstreamPool(PoolSettings settings, EventLoopGroup group, UpstreamConnector connector,
                        Socks5ClientSettings socks, GatewayMetrics metrics) {
        this.settings = settings;
        this.connector = connector;
        this.socks = socks;
        this.metrics = metrics;
        this.renewAheadNanos = Math.min(settings.joinWait().plus(settings.checkInterval().multipliedBy(2)).toNanos(),
                settings.maxIdle().toNanos() / 2);
        int loops = 0;
        for (EventExecutor e : group) {
            loops++;
        }
        int perLoop = (settings.size() + loops - 1) / loops;
        for (EventExecutor e : group) {
            shares.put(e, new LoopShare((EventLoop) e, perLoop));
        }
    }

    /** Starts filling every loop's share. */
    @Override
    public void start() {
        for (LoopShare s : shares.values()) {
            s.loop.execute(s::begin);
        }
        log.info("upstream pool: {} connections ready per event loop ({} loops), max-idle {} ms, min-subflows {}",
                shares.values().stream().mapToInt(s -> s.target).max().orElse(0), shares.size(),
                settings.maxIdle().toMillis(), settings.minSubflows());
    }

    /**
     * A ready member for a flow on {@code loop} (call on that loop), with an empty pipeline and auto-read off;
     * null when this loop has none ready (counted as a miss).
     */
    @Override
    public Channel take(EventLoop loop) {
        LoopShare share = shares.get(loop);
        if (share == null) {
            return null;
        }
        Channel member = share.take();
        metrics.poolTake(member != null);
        return member;
    }

    /** Closes every member; no more refills. */
    @Override
    public void close() {
        closed = true;
        for (LoopShare s : shares.values()) {
            if (!s.loop.isShuttingDown()) {
                s.loop.execute(s::closeAll);
            }
        }
    }

    /** One event loop's members. */
    private final class LoopShare {
        private final EventLoop loop;
        private final int target;
        private final ArrayDeque<PoolMember> ready = new ArrayDeque<>();
        private final Set<PoolMember> warming = new HashSet<>();
        private boolean pausing;

        LoopShare(EventLoop loop, int target) {
            this.loop = loop;
            this.target = target;
        }

        void begin() {
            fill();
            long every = settings.checkInterval().toMillis();
            loop.scheduleAtFixedRate(this::check, every, every, TimeUnit.MILLISECONDS);
        }

        private void fill() {
            while (!closed && !pausing && notDueForRenewal() + warming.size() < target) {
                PoolMember m = new PoolMember(loop, connector, socks, settings, this::ready, this::lost);
                warming.add(m);
                m.open();
            }
        }

        private int notDueForRenewal() {
            int n = 0;
            for (PoolMember m : ready) {
                n += m.dueForRenewal(renewAheadNanos) ? 0 : 1;
            }
            return n;
        }

        private void ready(PoolMember m) {
            if (warming.remove(m)) {
                ready.addLast(m);
                metrics.poolMembers(1);
                retireRenewed();
            }
        }

        /** The oldest members leave once replacements are ready (ready is in the order members became ready). */
        private void retireRenewed() {
            PoolMember oldest;
            while (ready.size() > target && (oldest = ready.peekFirst()).dueForRenewal(renewAheadNanos)) {
                ready.pollFirst();
                metrics.poolMembers(-1);
                metrics.poolReplaced("expired");
                oldest.discard();
            }
        }

        /** A member failed or closed before it was handed out. */
        private void lost(PoolMember m, String reason) {
            boolean wasReady = ready.remove(m);
            if (wasReady) {
                metrics.poolMembers(-1);
                metrics.poolReplaced(reason);
                log.debug("pool member {} replaced: {}", m, reason);
            } else if (!warming.remove(m)) {
                return;
            } else if (!pausing) {
                // It never became ready (server unreachable, refusing, or closing at once): try again later
                // instead of in a tight loop.
                log.debug("pool member {} failed: {}; next attempt in {} ms", m, reason, RETRY_PAUSE_MILLIS);
                pausing = true;
                loop.schedule(() -> {
                    pausing = false;
                    fill();
                }, RETRY_PAUSE_MILLIS, TimeUnit.MILLISECONDS);
            }
            fill();
        }

        Channel take() {
            PoolMember m;
            while ((m = ready.pollFirst()) != null) {
                metrics.poolMembers(-1);
                String problem = m.problem();
                if (problem == null) {
                    // Not now: the taking flow's CONNECT and first bytes go first on this loop.
                    loop.schedule(this::fill, REFILL_DELAY_MILLIS, TimeUnit.MILLISECONDS);
                    return m.handOut();
                }
                metrics.poolReplaced(problem);
                m.discard();
            }
            fill();
            return null;
        }

        private void check() {
            for (PoolMember m : ready.toArray(PoolMember[]::new)) {
                String problem = m.problem();
                if (problem != null) {
                    ready.remove(m);
                    metrics.poolMembers(-1);
                    metrics.poolReplaced(problem);
                    m.discard();
                }
            }
            fill();
        }

        void closeAll() {
            for (PoolMember m : ready) {
                metrics.poolMembers(-1);
                m.discard();
            }
            ready.clear();
            for (PoolMember m : warming) {
                m.discard();
            }
            warming.clear();
        }
    }
}
