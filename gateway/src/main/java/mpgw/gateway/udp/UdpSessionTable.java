package mpgw.gateway.udp;

import io.netty.buffer.ByteBuf;
import io.netty.channel.EventLoop;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import mpgw.config.Cidr;
import mpgw.gateway.config.UdpSettings;
import mpgw.jni.TransparentDatagramListener;
import mpgw.log.LogLimiter;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The UDP path's front door: every datagram from the TPROXY listener (or a reply socket) is checked (original
 * destination present, not denied) and handed to its client's {@link UdpSession}, which is created on first use
 * unless {@code udp.max-sessions} are open. Sessions idle for {@code timeouts.udp-idle} are ended by
 * {@link #sweep}; a session whose client sent a single datagram (a DNS query, typically: every query comes from a
 * new port) already after {@code timeouts.udp-one-shot-idle}.
 *
 * <p>Threading: event-loop only; it owns the sessions and reply sockets of that loop.
 */
final class UdpSessionTable implements TransparentDatagramListener.Receiver, ReplySockets.Inbound {
    private final EventLoop loop;
    private final UdpSettings settings;
    private final UdpCarrier carrier;
    private final UdpMetrics metrics;
    private final ReplySockets replies;
    private final Map<InetSocketAddress, UdpSession> sessions = new HashMap<>();
    /** One line per client address and interval when its datagrams hit a budget limit. */
    private static final LogLimiter BUDGET_LOG = new LogLimiter(Duration.ofSeconds(10), 1024);
    private static final Logger LOG = LogManager.getLogger(UdpSessionTable.class);

    private static final long RECLAIM_QUIET_NANOS = 1_000_000_000L;
    private static final long RECLAIM_EVERY_NANOS = 250_000_000L;

    private final UdpBudget budget;
    private final UdpLinkShare linkShare;
    private long lastReclaim = System.nanoTime() - RECLAIM_EVERY_NANOS;
    /** Every new datagram retries a failed carrier, so an unreachable server would log once per datagram. */
    private final RateLimitedLog carrierFailures = new RateLimitedLog(5_000_000_000L);

    UdpSessionTable(EventLoop loop, UdpSettings settings, UdpBudget budget, UdpLinkShare linkShare,
                    UdpCarrier carrier, UdpMetrics metrics) {
        this.loop = loop;
        this.budget = budget;
        this.linkShare = linkShare;
        this.settings = settings;
        this.carrier = carrier;
        this.metrics = metrics;
        this.replies = new ReplySockets(loop, settings.maxReplySockets(), settings.replySocketIdle().toNanos(),
                metrics, this);
    }

    @Override
    public void datagram(InetSocketAddress sender, InetSocketAddress destination, ByteBuf payload) {
        UdpDrop refused = destination == null ? UdpDrop.NO_DESTINATION
                : denied(destination.getAddress()) || isListener(destination) ? UdpDrop.DENIED : null;
        if (refused != null) {
            payload.release();
            metrics.dropped(refused);
            return;
        }
        UdpSession session = sessions.get(sender);
        if (session == null) {
            if (sessions.size() >= settings.maxSessions()) {
                payload.release();
                metrics.dropped(UdpDrop.SESSION_CAP);
                return;
            }
            UdpDrop overCap = budget.openSession(sender.getAddress());
            if (overCap != null && reclaimQuiet(sender.getAddress())) {
                overCap = budget.openSession(sender.getAddress());
            }
            if (overCap != null) {
                payload.release();
                refused(sender, overCap);
                return;
            }
            session = new UdpSession(sender, this);
            sessions.put(sender, session);
            metrics.sessionOpened();
            // Queued first: with a warm connection the tunnel is ready inside start, and the datagram then
            // leaves in the same write as the FWD UDP request.
            session.send(destination, payload);
            session.start(carrier);
            return;
        }
        session.send(destination, payload);
    }

    @Override
    public void oversized(InetSocketAddress sender, InetSocketAddress destination, int length) {
        metrics.dropped(UdpDrop.OVERSIZED);
    }

    private boolean denied(InetAddress address) {
        for (Cidr c : settings.denyDestinations()) {
            if (c.contains(address)) {
                return true;
            }
        }
        return false;
    }

    /**
     * A datagram sent straight to the listener's port on one of this host's addresses (not intercepted): carrying
     * it would loop. Checked against the interfaces only when the port matches, which real traffic rarely does.
     */
    private boolean isListener(InetSocketAddress destination) {
        if (destination.getPort() != settings.listen().getPort()) {
            return false;
        }
        try {
            return destination.getAddress().isAnyLocalAddress() || destination.getAddress().isLoopbackAddress()
                    || NetworkInterface.getByInetAddress(destination.getAddress()) != null;
        } catch (SocketException e) {
            return true;
        }
    }

    /**
     * A host at {@code limits.udp-sessions-per-client} gets room for a new session by ending those of its own that
     * have been quiet for {@link #RECLAIM_QUIET_NANOS}: after a burst from many ports (a flood, a scan) it is served
     * again a second later instead of after {@code timeouts.udp-idle}. Scans the table at most every
     * {@link #RECLAIM_EVERY_NANOS}, so a host sending from ever new ports cannot make the loop spin on it.
     *
     * @return whether a session ended
     */
    private boolean reclaimQuiet(InetAddress host) {
        long now = System.nanoTime();
        if (now - lastReclaim < RECLAIM_EVERY_NANOS) {
            return false;
        }
        lastReclaim = now;
        boolean ended = false;
        for (UdpSession s : new ArrayList<>(sessions.values())) {
            long quiet = now - s.lastActive();
            if (quiet >= RECLAIM_QUIET_NANOS && s.client().getAddress().equals(host)) {
                s.end("quiet for " + quiet / 1_000_000 + " ms while its host is at limits.udp-sessions-per-client");
                ended = true;
            }
        }
        return ended;
    }

    /** Ends idle sessions and closes idle reply sockets. */
    void sweep() {
        long now = System.nanoTime();
        long idle = settings.idleTimeout().toNanos();
        long oneShot = Math.min(idle, settings.oneShotIdleTimeout().toNanos());
        for (UdpSession s : new ArrayList<>(sessions.values())) {
            long quiet = now - s.lastActive();
            if (quiet >= idle || (s.isOneShot() && quiet >= oneShot)) {
                s.end("idle for " + quiet / 1_000_000 + " ms");
            }
        }
        replies.sweep(now);
    }

    void removed(UdpSession session) {
        if (sessions.remove(session.client(), session)) {
            budget.sessionClosed(session.client().getAddress());
            metrics.sessionClosed();
        }
    }

    /**
     * Charges a queued datagram of {@code client}'s to its share of the links and to the budget; false (counted
     * and logged) when it does not fit.
     */
    boolean charge(InetSocketAddress client, int bytes) {
        UdpDrop refused = linkShare.admit(client.getAddress(), bytes, System.nanoTime()) ? null : UdpDrop.LINK_SHARE;
        if (refused == null) {
            refused = budget.charge(client.getAddress(), bytes);
        }
        if (refused != null) {
            refused(client, refused);
            return false;
        }
        metrics.queuedBytes(bytes);
        return true;
    }

    /** Gives back what {@link #charge} took, once the datagram left the gateway or was dropped. */
    void refund(InetSocketAddress client, int bytes) {
        budget.refund(client.getAddress(), bytes);
        metrics.queuedBytes(-bytes);
    }

    private void refused(InetSocketAddress client, UdpDrop reason) {
        metrics.dropped(reason);
        BUDGET_LOG.log(LOG, Level.WARN, client.getAddress(), "udp from {}: datagram dropped, {} reached ({} bytes"
                + " queued for this client, {} for all)", client.getAddress().getHostAddress(),
                reason == UdpDrop.LINK_SHARE ? linkShare.limit() : budget.limit(reason),
                budget.queued(client.getAddress()), budget.queued());
    }

    void closeAll() {
        List<UdpSession> all = new ArrayList<>(sessions.values());
        for (UdpSession s : all) {
            s.end("gateway stopping");
        }
        replies.closeAll();
    }

    int size() {
        return sessions.size();
    }

    EventLoop loop() {
        return loop;
    }

    UdpSettings settings() {
        return settings;
    }

    UdpMetrics metrics() {
        return metrics;
    }

    RateLimitedLog carrierFailures() {
        return carrierFailures;
    }

    ReplySockets replies() {
        return replies;
    }
}
