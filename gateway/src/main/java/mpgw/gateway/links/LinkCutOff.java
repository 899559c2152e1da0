package mpgw.gateway.links;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;
import java.util.stream.Collectors;
import mpgw.paths.SystemCommand;

/**
 * {@code link-quota.action = off} for one link: no upstream traffic on it at all, even when no other link is up
 * (the kernel's {@code backup} flag cannot say that: a backup subflow still carries data when no other can). Two
 * kernel means, both undone when the quota period turns or the gateway stops:
 * <ul>
 *   <li>an nftables table {@code inet mpgw_off_IFACE} whose output rule drops TCP SYNs leaving the interface for
 *       the socks-servers' ports: no new MPTCP subflow (a join) or connection starts on the link;</li>
 *   <li>{@code ss -K} (the kernel's sock_destroy) on the established TCP sockets from the link's addresses to those
 *       ports: each is an MPTCP subflow, whose data the connection sends again over its other subflows.</li>
 * </ul>
 * Only the links timer thread calls it. Every call runs {@code nft} or {@code ss} (5 s bound, {@link SystemCommand}).
 */
final class LinkCutOff {
    private final String iface;
    private final String table;
    private final TreeSet<Integer> ports;
    private boolean on;

    /** @param serverPorts the ports of {@code gateway.servers} (and {@code udp.servers}): what subflows go to */
    LinkCutOff(String iface, List<Integer> serverPorts) {
        this.iface = iface;
        this.table = "mpgw_off_" + iface.replaceAll("[^A-Za-z0-9_]", "_");
        this.ports = new TreeSet<>(serverPorts);
    }

    /** Cuts the link off or lets it carry again; a no-op when it is so already. */
    void set(boolean off, List<String> addresses) throws IOException {
        if (off == on) {
            return;
        }
        if (off) {
            String portSet = ports.stream().map(String::valueOf).collect(Collectors.joining(", "));
            Path script = Files.createTempFile("mpgw-link-off", ".nft");
            try {
                Files.writeString(script, String.format(Locale.ROOT, """
                        table inet %s {
                          chain out {
                            type filter hook output priority -5;
                            oifname "%s" tcp dport { %s } tcp flags & (syn | ack) == syn counter drop
                          }
                        }
                        """, table, iface, portSet));
                SystemCommand.run(List.of("nft", "-f", script.toString()));
            } finally {
                Files.deleteIfExists(script);
            }
            for (String a : addresses) {
                for (int port : ports) {
                    SystemCommand.run(List.of("ss", "-K", "-tn", "state", "established", "src", a,
                            "dport", "=", ":" + port));
                }
            }
        } else {
            remove();
        }
        on = off;
    }

    /** Deletes the table (at stop, and at start in case a crashed gateway left it). */
    void remove() {
        try {
            SystemCommand.run(List.of("nft", "delete", "table", "inet", table));
        } catch (IOException absent) {
            // no such table: nothing to undo
        }
        on = false;
    }
}
