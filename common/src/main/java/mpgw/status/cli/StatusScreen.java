package mpgw.status.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;

/**
 * One screen of {@code mpgw status}: status.json as text. Every string from the document goes through
 * {@link #clean}, which replaces control characters (escape sequences could move the cursor or retitle the
 * terminal). Stateless.
 */
final class StatusScreen {
    private StatusScreen() {
    }

    static String render(JsonNode s, String base) {
        StringBuilder b = new StringBuilder();
        JsonNode m = s.path("memory");
        b.append(String.format(Locale.ROOT, "mpgw %s %s   up %s   config %s   %s%n", clean(s.path("daemon").asText()),
                clean(s.path("version").asText()), duration(s.path("uptimeSeconds").asLong()),
                clean(s.path("configFile").asText()), clean(base)));
        b.append(String.format(Locale.ROOT, "memory: resident %s, heap %s of %s, direct %s%n%n",
                bytes(m.path("rss").asLong(-1)), bytes(m.path("heapUsed").asLong()), bytes(m.path("heapMax").asLong()),
                bytes(m.path("directUsed").asLong())));

        b.append(String.format(Locale.ROOT, "%-36s %-10s %-6s %14s %14s%n", "LINK", "INTERFACE", "STATE", "SENT",
                "RECEIVED"));
        JsonNode links = s.path("links");
        if (links.isEmpty()) {
            b.append("(no link has carried bytes yet)").append(System.lineSeparator());
        }
        for (JsonNode l : links) {
            b.append(String.format(Locale.ROOT, "%-36s %-10s %-6s %14s %14s%n", clean(l.path("key").asText()),
                    clean(l.path("interface").asText()), clean(l.path("state").asText()),
                    rate(l.path("sentRate").asLong()), rate(l.path("receivedRate").asLong())));
        }
        JsonNode flows = s.path("flows");
        JsonNode sub = s.path("subflows");
        b.append(String.format(Locale.ROOT, "%n%s %s   UDP sessions %s   MPTCP fallbacks %s   subflows per upstream %s%n",
                "server".equals(s.path("daemon").asText()) ? "TCP connections" : "TCP flows",
                figure(flows.path("tcpActive")), figure(flows.path("udpSessions")), figure(s.path("mptcpFallbacks")),
                sub.path("samples").isNull() || sub.path("samples").isMissingNode() ? "n/a"
                        : sub.path("samples").asLong() == 0 ? "(no sample yet)"
                        : sub.path("mean").asText() + " mean, " + sub.path("max").asText() + " max"));
        StringBuilder outcomes = new StringBuilder();
        for (Iterator<Map.Entry<String, JsonNode>> it = s.path("outcomes").path("counts").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getValue().asLong() > 0) {
                outcomes.append(' ').append(clean(e.getKey())).append(' ').append(e.getValue().asLong());
            }
        }
        b.append(clean(s.path("outcomes").path("tag").asText())).append("s:")
                .append(outcomes.length() == 0 ? " none yet" : outcomes).append(System.lineSeparator());
        JsonNode errors = s.path("errors");
        b.append(System.lineSeparator()).append("last warnings:").append(errors.isEmpty() ? " none" : "")
                .append(System.lineSeparator());
        int shown = 0;
        for (JsonNode e : errors) {
            if (shown++ == 8) {
                break;
            }
            b.append("  ").append(clean(e.path("time").asText())).append(' ').append(clean(e.path("level").asText()))
                    .append(' ').append(clean(e.path("message").asText())).append(System.lineSeparator());
        }
        return b.toString();
    }

    /** {@code text} with every control character (C0, DEL, C1) replaced by '?'. */
    static String clean(String text) {
        StringBuilder b = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            b.append(c < 0x20 || (c >= 0x7f && c < 0xa0) ? '?' : c);
        }
        return b.toString();
    }

    private static String figure(JsonNode n) {
        return n.isNull() || n.isMissingNode() ? "n/a" : n.asText();
    }

    static String rate(long bytesPerSecond) {
        double bits = bytesPerSecond * 8.0;
        if (bits >= 1e9) {
            return String.format(Locale.ROOT, "%.2f Gbit/s", bits / 1e9);
        } else if (bits >= 1e6) {
            return String.format(Locale.ROOT, "%.2f Mbit/s", bits / 1e6);
        } else if (bits >= 1e3) {
            return String.format(Locale.ROOT, "%.1f kbit/s", bits / 1e3);
        }
        return String.format(Locale.ROOT, "%.0f bit/s", bits);
    }

    private static String bytes(long n) {
        if (n < 0) {
            return "n/a";
        }
        return String.format(Locale.ROOT, "%.1f MiB", n / 1048576.0);
    }

    private static String duration(long s) {
        return (s >= 86400 ? s / 86400 + "d " : "") + (s >= 3600 ? s % 86400 / 3600 + "h " : "")
                + s % 3600 / 60 + "m " + s % 60 + "s";
    }
}
