package mpgw.testbed;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * A Prometheus text scrape of a daemon's metrics endpoint, read with curl inside the daemon's namespace, with
 * lookups by series name and label substring.
 *
 * <p>A lookup of a series that the scrape does not have fails (an {@link AssertionError} naming the series and
 * listing what the scrape has with the same prefix) instead of counting as 0: a renamed or unregistered metric
 * must not pass an {@code == 0} check. Where absence really means 0, the method says so in its name:
 * {@link #sumOrZeroIfAbsent} (the metric exists, this label value has not happened) and
 * {@link #sumOrZeroIfNeverRegistered} (only for {@link #REGISTERED_AT_FIRST_USE}, metrics the product registers
 * when they first happen; {@code GatewayMetricNamesTest} checks that each of them does appear once it happens).
 */
public record Metrics(Map<String, Double> series) {

    /**
     * Series the gateway registers at their first event ({@code MicrometerGatewayMetrics}: a counter with a tag,
     * or an untagged counter built when it first counts), so a scrape before that event has no line of that name.
     */
    public static final Set<String> REGISTERED_AT_FIRST_USE = Set.of(
            "mpgw_gateway_pool_takes_total",
            "mpgw_gateway_pool_replaced_total",
            "mpgw_gateway_pool_retries_total",
            "mpgw_gateway_socks_pipelining_fallbacks_total",
            "mpgw_gateway_fast_open_total",
            "mpgw_gateway_path_reannounces_total",
            "mpgw_gateway_socks_replies_total",
            "mpgw_gateway_upstream_connect_failures_total",
            "mpgw_gateway_upstream_connect_seconds_count",
            "mpgw_gateway_path_bytes_total");

    /** Scrapes {@code http://address/metrics} from inside {@code ns}. */
    public static Metrics scrape(Testbed testbed, String ns, String address) throws IOException, InterruptedException {
        return parse(testbed.exec(ns, "curl -sf --max-time 10 http://" + address + "/metrics"));
    }

    /** Parses a Prometheus text exposition. */
    public static Metrics parse(String text) {
        Map<String, Double> series = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int space = line.lastIndexOf(' ');
            try {
                series.put(line.substring(0, space), Double.parseDouble(line.substring(space + 1)));
            } catch (NumberFormatException | StringIndexOutOfBoundsException e) {
                // not a sample line
            }
        }
        return new Metrics(series);
    }

    /**
     * The sum over series named {@code name} whose labels contain every one of {@code labelParts}; fails when no
     * such series exists.
     */
    public double sum(String name, String... labelParts) {
        requireName(name);
        Double total = sumOrNull(name, labelParts);
        if (total == null) {
            throw new AssertionError("no series " + name + " with labels containing " + String.join(", ", labelParts)
                    + " in the scrape; series of that name: " + withPrefix(name + "{") + withPrefix(name + " "));
        }
        return total;
    }

    /**
     * Like {@link #sum}, but 0 when the metric {@code name} exists and no series of it has these labels yet
     * (a tagged counter whose tag value has not happened). Fails when there is no series named {@code name} at all.
     */
    public double sumOrZeroIfAbsent(String name, String... labelParts) {
        requireName(name);
        Double total = sumOrNull(name, labelParts);
        return total == null ? 0 : total;
    }

    /**
     * 0 when the scrape has no series named {@code name} and the product registers it only when it first happens
     * ({@link #REGISTERED_AT_FIRST_USE}); otherwise {@link #sumOrZeroIfAbsent}. Fails for any other missing name.
     */
    public double sumOrZeroIfNeverRegistered(String name, String... labelParts) {
        if (!REGISTERED_AT_FIRST_USE.contains(name)) {
            throw new IllegalArgumentException(name + " is not registered at first use; use sum or sumOrZeroIfAbsent");
        }
        if (!hasName(name)) {
            return 0;
        }
        return sumOrZeroIfAbsent(name, labelParts);
    }

    /** True when at least one series is named {@code name}. */
    public boolean hasName(String name) {
        return series.keySet().stream().anyMatch(k -> bare(k).equals(name));
    }

    private void requireName(String name) {
        if (!hasName(name)) {
            String prefix = prefixOf(name);
            throw new AssertionError("no series named " + name + " in the scrape (renamed, or never registered?);"
                    + " series starting with " + prefix + ": " + withPrefix(prefix));
        }
    }

    private Double sumOrNull(String name, String... labelParts) {
        Double total = null;
        for (Map.Entry<String, Double> e : series.entrySet()) {
            String key = e.getKey();
            if (!bare(key).equals(name)) {
                continue;
            }
            boolean all = true;
            for (String part : labelParts) {
                all &= key.contains(part);
            }
            if (all) {
                total = (total == null ? 0 : total) + e.getValue();
            }
        }
        return total;
    }

    private static String bare(String key) {
        return key.contains("{") ? key.substring(0, key.indexOf('{')) : key;
    }

    /** The name up to its third underscore ("mpgw_gateway_pool_"), or the whole name when it has fewer. */
    private static String prefixOf(String name) {
        int at = -1;
        for (int i = 0; i < 3; i++) {
            int next = name.indexOf('_', at + 1);
            if (next < 0) {
                return at < 0 ? name : name.substring(0, at + 1);
            }
            at = next;
        }
        return name.substring(0, at + 1);
    }

    private String withPrefix(String prefix) {
        String found = series.entrySet().stream().filter(e -> e.getKey().startsWith(prefix))
                .map(e -> e.getKey() + " " + e.getValue()).collect(Collectors.joining("\n  ", "\n  ", ""));
        return found.isBlank() ? "(none)" : found;
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder();
        series.forEach((k, v) -> {
            if (k.startsWith("mpgw_")) {
                b.append(k).append(' ').append(v).append('\n');
            }
        });
        return b.toString();
    }
}
