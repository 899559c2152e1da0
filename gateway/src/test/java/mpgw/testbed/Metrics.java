package mpgw.testbed;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A Prometheus text scrape of a daemon's metrics endpoint, read with curl inside the daemon's namespace, with
 * lookups by series name and label substring.
 */
public record Metrics(Map<String, Double> series) {

    /** Scrapes {@code http://address/metrics} from inside {@code ns}. */
    public static Metrics scrape(Testbed testbed, String ns, String address) throws IOException, InterruptedException {
        Map<String, Double> series = new LinkedHashMap<>();
        for (String line : testbed.exec(ns, "curl -sf http://" + address + "/metrics").split("\n")) {
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

    /** The sum over series named {@code name} whose labels contain every one of {@code labelParts}. */
    public double sum(String name, String... labelParts) {
        double total = 0;
        for (Map.Entry<String, Double> e : series.entrySet()) {
            String key = e.getKey();
            String bare = key.contains("{") ? key.substring(0, key.indexOf('{')) : key;
            if (!bare.equals(name)) {
                continue;
            }
            boolean all = true;
            for (String part : labelParts) {
                all &= key.contains(part);
            }
            if (all) {
                total += e.getValue();
            }
        }
        return total;
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
