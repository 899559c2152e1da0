package mpgw.testbed;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The PromQL queries of the Grafana dashboard in {@code packaging/grafana/}: every {@code expr} of every panel and
 * template variable, the mpgw series each names, and the label names it groups or filters by.
 */
public record DashboardQueries(List<String> exprs) {
    private static final Pattern SERIES = Pattern.compile("\\bmpgw_[a-z0-9_]+");
    private static final Pattern SELECTOR = Pattern.compile("(mpgw_[a-z0-9_]+)\\{([^}]*)}");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)\\s*(=~|!=|!~|=)");
    private static final Pattern BY = Pattern.compile("\\bby\\s*\\(([^)]*)\\)\\s*\\((?:rate|increase)?\\(?\\s*"
            + "(mpgw_[a-z0-9_]+)");

    public static DashboardQueries read(Path dashboard) throws IOException {
        List<String> exprs = new ArrayList<>();
        collect(new ObjectMapper().readTree(dashboard.toFile()), exprs);
        return new DashboardQueries(exprs);
    }

    private static void collect(JsonNode node, List<String> exprs) {
        if (node.isObject()) {
            node.fields().forEachRemaining(e -> {
                if (e.getKey().equals("expr") || e.getKey().equals("definition")) {
                    exprs.add(e.getValue().asText());
                } else {
                    collect(e.getValue(), exprs);
                }
            });
        } else if (node.isArray()) {
            node.forEach(n -> collect(n, exprs));
        }
    }

    /** Every mpgw series name the queries use. */
    public Set<String> series() {
        Set<String> names = new LinkedHashSet<>();
        for (String e : exprs) {
            Matcher m = SERIES.matcher(e);
            while (m.find()) {
                names.add(m.group());
            }
        }
        return names;
    }

    /** Series name to the label names the queries select or group it by ({@code instance} left out: Prometheus adds it). */
    public Map<String, Set<String>> labels() {
        Map<String, Set<String>> out = new LinkedHashMap<>();
        for (String e : exprs) {
            Matcher s = SELECTOR.matcher(e);
            while (s.find()) {
                Matcher l = LABEL.matcher(s.group(2));
                while (l.find()) {
                    if (!l.group(1).equals("instance")) {
                        out.computeIfAbsent(s.group(1), k -> new LinkedHashSet<>()).add(l.group(1));
                    }
                }
            }
            Matcher b = BY.matcher(e);
            while (b.find()) {
                for (String label : b.group(1).split(",")) {
                    out.computeIfAbsent(b.group(2), k -> new LinkedHashSet<>()).add(label.trim());
                }
            }
        }
        return out;
    }
}
