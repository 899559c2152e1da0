package mpgw.status;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;

/**
 * Renders {@code /status.json}, the one document the status page and {@code mpgw status} read: the daemon
 * ({@link DaemonIdentity}, uptime, memory), its links with their last five minutes ({@link LinkHistory}), the
 * figures of {@link StatusMeters} read from the registry, and the last warnings ({@link RecentErrors}).
 *
 * <p>It holds nothing from the config but the file's path: no key's value, so no password or user name, can
 * reach the document. Peer-controlled text can only arrive inside error messages; JSON escapes it, and the page
 * inserts every value as text, never as markup. Thread-safe (reads only).
 */
public final class StatusReport {
    /**
     * The mapper behind a holder, so that Jackson's serializers (~250 classes, a few MiB of metaspace) load at the
     * first {@code /status.json} request, not when the daemon starts: a router nobody looks at never pays for them.
     */
    private static final class Json {
        static final ObjectMapper MAPPER = new ObjectMapper();
    }

    private final MeterRegistry registry;
    private final StatusMeters meters;
    private final LinkHistory history;
    private final RecentErrors errors;

    public StatusReport(MeterRegistry registry, StatusMeters meters, LinkHistory history, RecentErrors errors) {
        this.registry = registry;
        this.meters = meters;
        this.history = history;
        this.errors = errors;
    }

    public byte[] json() throws IOException {
        return Json.MAPPER.writeValueAsBytes(tree());
    }

    ObjectNode tree() {
        ObjectNode root = Json.MAPPER.createObjectNode();
        DaemonIdentity id = DaemonIdentity.current();
        root.put("daemon", id.daemon());
        root.put("version", id.version());
        root.put("configFile", id.configFile());
        root.put("started", id.started().toString());
        root.put("uptimeSeconds", Duration.between(id.started(), Instant.now()).toSeconds());
        root.set("memory", memory());

        LinkHistory.Snapshot snap = history.snapshot();
        root.put("sampleTime", snap.sampleMillis());
        root.put("historySeconds", LinkHistory.SECONDS);
        root.put("linksNotShown", snap.linksNotShown());
        ArrayNode links = root.putArray("links");
        for (LinkHistory.Link l : snap.links()) {
            LinkSample s = l.sample();
            ObjectNode n = links.addObject();
            n.put("key", s.key());
            n.put("interface", s.iface());
            n.put("local", s.local());
            n.put("remote", s.remote());
            n.put("state", s.state());
            if (s.role() == null) {
                n.putNull("role");
            } else {
                n.put("role", s.role());
            }
            n.put("sentRate", l.sentRate());
            n.put("receivedRate", l.receivedRate());
            n.put("sentTotal", s.sentTotal());
            n.put("receivedTotal", s.receivedTotal());
            ArrayNode sent = n.putArray("sentHistory");
            for (long v : l.sentRates()) {
                sent.add(v);
            }
            ArrayNode received = n.putArray("receivedHistory");
            for (long v : l.receivedRates()) {
                received.add(v);
            }
        }

        ObjectNode flows = root.putObject("flows");
        putOrNull(flows, "tcpActive", sum(meters.tcpActive()));
        putOrNull(flows, "udpSessions", sum(meters.udpActive()));
        putOrNull(root, "mptcpFallbacks", sum(meters.fallbacks()));
        root.set("subflows", subflows());
        ObjectNode outcomes = root.putObject("outcomes");
        outcomes.put("tag", meters.outcomeTag());
        ObjectNode counts = outcomes.putObject("counts");
        outcomes(counts);

        ArrayNode errs = root.putArray("errors");
        for (RecentErrors.Entry e : errors.newestFirst()) {
            errs.addObject().put("time", e.time().toString()).put("level", e.level()).put("logger", e.logger())
                    .put("message", e.message());
        }
        return root;
    }

    private static void putOrNull(ObjectNode n, String field, Double value) {
        if (value == null) {
            n.putNull(field);
        } else {
            n.put(field, Math.round(value));
        }
    }

    /** The sum of every meter named {@code name} (gauges and counters), or null when none is registered. */
    private Double sum(String name) {
        if (name == null) {
            return null;
        }
        Double total = null;
        for (Meter m : registry.find(name).meters()) {
            double v = value(m);
            if (!Double.isNaN(v)) {
                total = (total == null ? 0 : total) + v;
            }
        }
        return total;
    }

    private static double value(Meter m) {
        if (m instanceof Gauge g) {
            return g.value();
        } else if (m instanceof Counter c) {
            return c.count();
        } else if (m instanceof FunctionCounter f) {
            return f.count();
        }
        return Double.NaN;
    }

    private ObjectNode subflows() {
        ObjectNode n = Json.MAPPER.createObjectNode();
        DistributionSummary s = meters.subflows() == null ? null : registry.find(meters.subflows()).summary();
        if (s == null) {
            n.putNull("samples");
            return n;
        }
        long count = s.count();
        n.put("samples", count);
        n.put("mean", count == 0 ? 0 : Math.round(s.totalAmount() / count * 10) / 10.0);
        n.put("max", Math.round(s.max()));
        return n;
    }

    private void outcomes(ObjectNode counts) {
        Map<String, Double> sorted = new TreeMap<>();
        for (Meter m : registry.find(meters.outcomes()).meters()) {
            String tag = m.getId().getTag(meters.outcomeTag());
            double v = value(m);
            if (tag != null && !Double.isNaN(v)) {
                sorted.merge(tag, v, Double::sum);
            }
        }
        sorted.forEach((k, v) -> counts.put(k, Math.round(v)));
    }

    private static ObjectNode memory() {
        ObjectNode n = Json.MAPPER.createObjectNode();
        Runtime rt = Runtime.getRuntime();
        n.put("heapUsed", rt.totalMemory() - rt.freeMemory());
        n.put("heapCommitted", rt.totalMemory());
        n.put("heapMax", rt.maxMemory());
        long direct = 0;
        for (BufferPoolMXBean pool : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
            if ("direct".equals(pool.getName())) {
                direct = pool.getMemoryUsed();
            }
        }
        n.put("directUsed", Math.max(direct, io.netty.util.internal.PlatformDependent.usedDirectMemory()));
        n.put("rss", rss());
        return n;
    }

    /** The process's resident set from /proc/self/status (VmRSS, kB), in bytes; -1 where that is not readable. */
    private static long rss() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"), StandardCharsets.UTF_8)) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or /proc hidden: the page shows no figure
        }
        return -1;
    }
}
