package mpgw.gateway.links;

import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Link roles, health and quotas ({@code gateway.links}): every {@code link-probes.interval} it reads each link's
 * carrier and last probe ({@link LinkHealth}), once a second its byte counters ({@link LinkQuota}), decides which
 * links the kernel may send on freely ({@link RolePlan}) and sets or clears the {@code backup} flag of their MPTCP
 * endpoints ({@link LinkEndpoints}); the kernel's own scheduler and {@code MP_PRIO} do the rest. One log line per
 * state change ({@code link wan1: up -> down ...}), never one per probe.
 *
 * <p>Threading: one timer thread ("links") does all of it; each link's probe has a reader thread.
 */
public final class Links implements AutoCloseable {
    private static final Logger log = LogManager.getLogger(Links.class);

    private final LinksSettings settings;
    private final List<Link> links;
    private final QuotaStateFile stateFile;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "links");
        t.setDaemon(true);
        return t;
    });
    private final int ticksPerSecond;
    private final int ticksPerSave;
    private long ticks;
    private volatile BooleanSupplier probesAnswerable = () -> true;

    private Links(LinksSettings settings, List<Link> links, QuotaStateFile stateFile) {
        this.settings = settings;
        this.links = links;
        this.stateFile = stateFile;
        this.ticksPerSecond = (int) Math.max(1, 1000 / settings.interval().toMillis());
        this.ticksPerSave = (int) Math.max(1, settings.saveInterval().toMillis() / settings.interval().toMillis());
    }

    /**
     * Applies the configured roles and starts probing and counting; empty when no link is configured. The roles
     * are set before this returns, so the first flows already follow them. A link whose endpoints cannot be set
     * yet (interface missing, no address) is logged and retried at every tick.
     */
    /** @param serverPorts the socks-servers' ports (gateway.servers, udp.servers): where subflows go */
    public static Optional<Links> start(LinksSettings settings, List<Integer> serverPorts, MeterRegistry registry)
            throws IOException {
        if (!settings.enabled()) {
            return Optional.empty();
        }
        QuotaStateFile file = settings.stateFile() == null ? null : new QuotaStateFile(settings.stateFile());
        Map<String, QuotaStateFile.Count> saved = file == null ? Map.of() : file.read();
        List<Link> links = new ArrayList<>();
        for (LinkSettings s : settings.links()) {
            LinkQuota quota = s.quota().isPresent()
                    ? new LinkQuota(s.iface(), s.quota().getAsLong(), s.quotaPeriod(), Clock.systemUTC(),
                    saved.get(s.iface())) : null;
            links.add(new Link(s, new LinkHealth(settings.downAfter(), settings.upAfter(), settings.degradedAfter()),
                    s.probe().map(p -> new LinkProbe(s.iface(), p)).orElse(null), quota,
                    new LinkEndpoints(s.iface()), new LinkMetrics(registry, s.iface(), s.role(), quota != null)));
            if (quota != null && settings.quotaCutsOff()) {
                Link l = links.get(links.size() - 1);
                l.cutOff = new LinkCutOff(s.iface(), serverPorts);
                l.cutOff.remove(); // what a crashed gateway may have left
            }
        }
        Links l = new Links(settings, links, file);
        l.tick();
        log.info("links: {}", l.describe());
        long ms = settings.interval().toMillis();
        l.timer.scheduleWithFixedDelay(l::safeTick, ms, ms, TimeUnit.MILLISECONDS);
        return Optional.of(l);
    }

    /**
     * Probes count only while {@code answerable} says router B can answer them: with TLS on, router B answers only
     * the link addresses of its authenticated peers, so before this router's first TLS handshake every probe is
     * lost and every link would look blackholed.
     */
    public void countProbesWhen(BooleanSupplier answerable) {
        this.probesAnswerable = answerable;
    }

    private void safeTick() {
        try {
            tick();
        } catch (RuntimeException e) {
            // the timer must survive anything one tick meets, or roles would freeze
            log.warn("links: tick failed: {}", e.toString());
        }
    }

    private void tick() {
        boolean second = ticks % ticksPerSecond == 0;
        for (Link l : links) {
            Boolean answered = l.probe == null ? null : l.probe.tick();
            if (!probesAnswerable.getAsBoolean()) {
                answered = null; // router B cannot know us yet: silence says nothing about the link
            }
            if (answered != null) {
                l.metrics.probe(answered, l.probe.rttNanos());
            }
            boolean carrier = l.carrier();
            boolean up = l.health.observe(carrier, answered);
            if (second) {
                l.countBytes();
                if (l.quota != null) {
                    l.quota.sample();
                    l.metrics.quotaUsed(l.quota.used());
                }
            }
            LinkState next = !up ? LinkState.DOWN
                    : l.quota != null && l.quota.spent() ? LinkState.QUOTA_SPENT
                    : l.health.degraded() ? LinkState.DEGRADED : LinkState.UP;
            if (next != l.state) {
                log.info("link {}: {} -> {} ({})", l.iface(), l.state.word(), next.word(),
                        why(l, l.state, next, carrier));
                l.state = next;
                l.metrics.changed(next);
            }
            l.metrics.state(l.state);
        }
        applyRoles();
        applyCutOffs();
        ticks++;
        if (stateFile != null && ticks % ticksPerSave == 0) {
            save();
        }
    }

    private static String why(Link l, LinkState before, LinkState next, boolean carrier) {
        return switch (next) {
            case DOWN -> !carrier ? "carrier lost"
                    : "probes to " + l.probe.describe() + ": " + l.health.lostInARow() + " unanswered in a row, carrier up";
            case DEGRADED -> "probes to " + l.probe.describe() + ": " + l.health.lostInWindow() + " of the last "
                    + LinkHealth.WINDOW + " unanswered, carrier up; keeps its role";
            case UP -> before == LinkState.DEGRADED ? "the last " + LinkHealth.WINDOW + " probes answered"
                    : before == LinkState.QUOTA_SPENT ? "a new quota period" : l.probe == null ? "carrier back"
                    : "probes answered again, rtt " + String.format(java.util.Locale.ROOT, "%.1f ms",
                    l.probe.rttNanos() / 1e6);
            case QUOTA_SPENT -> "quota " + l.quota.limit() + " bytes spent: " + l.quota.used() + " bytes this period; "
                    + (l.cutOff != null ? "carries no traffic now (link-quota.action = off)"
                    : "carries traffic only as a backup now");
        };
    }

    private void applyRoles() {
        List<Boolean> flags = RolePlan.backupFlags(links.stream()
                .map(l -> new RolePlan.Input(l.settings.role(), l.state)).toList(), !settings.quotaCutsOff());
        for (int i = 0; i < links.size(); i++) {
            Link l = links.get(i);
            boolean backup = flags.get(i);
            try {
                l.endpoints.setBackup(backup);
                if (l.backup != null && l.backup != backup) {
                    log.info("link {}: {} (kernel backup flag {}, MP_PRIO on its subflows)", l.iface(),
                            backup ? "backup only" : "carries traffic", backup ? "set" : "cleared");
                }
                l.backup = backup;
                l.metrics.backup(backup);
                l.endpointProblemLogged = false;
            } catch (IOException e) {
                if (!l.endpointProblemLogged) {
                    log.warn("link {}: cannot set its MPTCP endpoints: {} (retrying every {} ms)", l.iface(),
                            e.getMessage(), settings.interval().toMillis());
                    l.endpointProblemLogged = true;
                }
            }
        }
    }

    /** {@code link-quota.action = off}: a spent link is cut off (nft + sock_destroy), and let go at a new period. */
    private void applyCutOffs() {
        for (Link l : links) {
            if (l.cutOff == null) {
                continue;
            }
            try {
                l.cutOff.set(l.state == LinkState.QUOTA_SPENT, LinkEndpoints.globalAddresses(l.iface()));
                l.cutOffProblemLogged = false;
            } catch (IOException e) {
                if (!l.cutOffProblemLogged) {
                    log.warn("link {}: cannot cut it off: {} (retrying every {} ms)", l.iface(), e.getMessage(),
                            settings.interval().toMillis());
                    l.cutOffProblemLogged = true;
                }
            }
        }
    }

    private void save() {
        Map<String, QuotaStateFile.Count> counts = new HashMap<>();
        for (Link l : links) {
            if (l.quota != null) {
                counts.put(l.iface(), l.quota.count());
            }
        }
        try {
            stateFile.write(counts);
        } catch (IOException e) {
            log.warn("links: cannot write {}: {}", settings.stateFile(), e.getMessage());
        }
    }

    /** {@code wan1 primary up, wan2 backup up (quota 5000000, used 0)}: for the start line and mpgw check. */
    public String describe() {
        return links.stream().map(l -> l.iface() + " " + l.settings.role().word() + " " + l.state.word()
                + (l.backup == null ? "" : l.backup ? " backup-flag" : "")
                + (l.probe == null ? "" : " probe " + l.probe.describe())
                + (l.quota == null ? "" : " (quota " + l.quota.limit() + ", used " + l.quota.used() + ")"))
                .collect(Collectors.joining(", "));
    }

    /** Stops probing, writes the quota counts and gives the endpoints back as they were. */
    @Override
    public void close() {
        timer.shutdown();
        try {
            if (!timer.awaitTermination(5, TimeUnit.SECONDS)) {
                timer.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (stateFile != null) {
            for (Link l : links) {
                if (l.quota != null) {
                    l.quota.sample();
                }
            }
            save();
        }
        for (Link l : links) {
            if (l.probe != null) {
                l.probe.close();
            }
            l.endpoints.restore();
            if (l.cutOff != null) {
                l.cutOff.remove();
            }
        }
    }
}
