package mpgw.gateway.links;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The series of one link, tagged {@code interface} (from the config, so bounded):
 * {@code mpgw_gateway_link_role{role}} (1, the configured role, for the status page),
 * {@code mpgw_gateway_link_state{state}} (1 for the current state), {@code mpgw_gateway_link_backup} (1 while its
 * endpoints carry the kernel's backup flag), {@code mpgw_gateway_link_probe_rtt_seconds},
 * {@code mpgw_gateway_link_probes_total{result="answered"|"lost"}}, {@code mpgw_gateway_link_bytes_total} (rx+tx
 * of the interface while the gateway runs), {@code mpgw_gateway_link_quota_used_bytes} and
 * {@code mpgw_gateway_link_changes_total{state}}. A metrics failure never touches the links.
 */
final class LinkMetrics {
    private final MeterRegistry registry;
    private final String iface;
    private final AtomicLong[] state = new AtomicLong[LinkState.values().length];
    private final AtomicLong backup = new AtomicLong();
    private final AtomicLong rttMicros = new AtomicLong(-1);
    private final AtomicLong quotaUsed = new AtomicLong();
    private final AtomicLong bytes = new AtomicLong();
    private final Counter answered;
    private final Counter lost;

    LinkMetrics(MeterRegistry registry, String iface, LinkRole role, boolean metered) {
        this.registry = registry;
        this.iface = iface;
        Gauge.builder("mpgw.gateway.link.role", () -> 1).tags("interface", iface, "role", role.word())
                .register(registry);
        for (LinkState s : LinkState.values()) {
            state[s.ordinal()] = new AtomicLong();
            Gauge.builder("mpgw.gateway.link.state", state[s.ordinal()], AtomicLong::get)
                    .tags("interface", iface, "state", s.word()).register(registry);
        }
        Gauge.builder("mpgw.gateway.link.backup", backup, AtomicLong::get).tag("interface", iface).register(registry);
        Gauge.builder("mpgw.gateway.link.probe.rtt", rttMicros, v -> v.get() < 0 ? Double.NaN : v.get() / 1e6)
                .baseUnit("seconds").tag("interface", iface).register(registry);
        io.micrometer.core.instrument.FunctionCounter.builder("mpgw.gateway.link.bytes", bytes, AtomicLong::get)
                .tag("interface", iface).register(registry);
        if (metered) {
            Gauge.builder("mpgw.gateway.link.quota.used", quotaUsed, AtomicLong::get).baseUnit("bytes")
                    .tag("interface", iface).register(registry);
        }
        answered = Counter.builder("mpgw.gateway.link.probes").tags("interface", iface, "result", "answered")
                .register(registry);
        lost = Counter.builder("mpgw.gateway.link.probes").tags("interface", iface, "result", "lost")
                .register(registry);
    }

    void state(LinkState s) {
        for (LinkState each : LinkState.values()) {
            state[each.ordinal()].set(each == s ? 1 : 0);
        }
    }

    void changed(LinkState to) {
        Counter.builder("mpgw.gateway.link.changes").tags("interface", iface, "state", to.word()).register(registry)
                .increment();
    }

    void backup(boolean on) {
        backup.set(on ? 1 : 0);
    }

    void probe(boolean wasAnswered, long rttNanos) {
        (wasAnswered ? answered : lost).increment();
        if (wasAnswered && rttNanos >= 0) {
            rttMicros.set(rttNanos / 1000);
        }
    }

    void quotaUsed(long used) {
        quotaUsed.set(used);
    }

    void addBytes(long delta) {
        bytes.addAndGet(delta);
    }
}
