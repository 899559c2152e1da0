package mpgw.gateway.links;

import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import mpgw.config.Addresses;
import mpgw.paths.MptcpEndpoint;
import mpgw.paths.SystemCommand;

/**
 * The MPTCP endpoints that carry one link's role into the kernel: one per global address of the interface. An
 * endpoint that exists already (the operator's 'subflow' endpoint, say) is used as it is; otherwise a plain one
 * (no 'subflow' or 'signal' flag: it opens and announces nothing, it only holds the address's id and flags) is
 * added, and deleted again at stop. Setting or clearing {@code backup} with {@code ip mptcp endpoint change} makes
 * the kernel send {@code MP_PRIO} on every existing subflow from that address (RFC 8684 section 3.3.8) and mark
 * new ones accordingly; a subflow whose local address has no flag set is never a backup.
 *
 * <p>Only the links timer thread calls it. Every call runs {@code ip} (5 s bound, {@link SystemCommand}).
 */
final class LinkEndpoints {
    private record Owned(String address, int id, boolean added, boolean backupBefore) {
    }

    private final String iface;
    private final List<Owned> endpoints = new ArrayList<>();
    private Boolean backup;

    LinkEndpoints(String iface) {
        this.iface = iface;
    }

    /** Finds or adds the endpoints (idempotent: an interface without addresses is retried at the next call). */
    void ensure() throws IOException {
        if (!endpoints.isEmpty()) {
            return;
        }
        List<String> addresses = globalAddresses(iface);
        if (addresses.isEmpty()) {
            throw new IOException("interface " + iface + " has no global address (missing, or no address yet)");
        }
        for (String a : addresses) {
            MptcpEndpoint e = find(a);
            if (e != null && !e.flags().contains("implicit")) {
                endpoints.add(new Owned(a, e.id(), false, e.flags().contains("backup")));
            } else {
                if (e != null) {
                    SystemCommand.ip("mptcp", "endpoint", "delete", "id", Integer.toString(e.id()));
                }
                SystemCommand.ip("mptcp", "endpoint", "add", a, "dev", iface);
                MptcpEndpoint added = find(a);
                if (added == null) {
                    throw new IOException("'ip mptcp endpoint add " + a + " dev " + iface + "' left no endpoint");
                }
                endpoints.add(new Owned(a, added.id(), true, false));
            }
        }
        backup = null;
    }

    /** Sets or clears the {@code backup} flag of every endpoint of the link; a no-op when it is so already. */
    void setBackup(boolean on) throws IOException {
        ensure();
        if (backup != null && backup == on) {
            return;
        }
        for (Owned e : endpoints) {
            SystemCommand.ip("mptcp", "endpoint", "change", "id", Integer.toString(e.id()), on ? "backup" : "nobackup");
        }
        backup = on;
    }

    /** The flags as the kernel reports them now, e.g. {@code 10.2.2.1 id 3 backup dev wan2} (for mpgw check). */
    List<MptcpEndpoint> current() throws IOException {
        List<MptcpEndpoint> out = new ArrayList<>();
        for (MptcpEndpoint e : MptcpEndpoint.parse(SystemCommand.ip("mptcp", "endpoint", "show"))) {
            if (endpoints.stream().anyMatch(o -> o.id() == e.id())) {
                out.add(e);
            }
        }
        return out;
    }

    /** Deletes the endpoints this gateway added and gives the others their flag back. */
    void restore() {
        for (Owned e : endpoints) {
            try {
                if (e.added()) {
                    SystemCommand.ip("mptcp", "endpoint", "delete", "id", Integer.toString(e.id()));
                } else {
                    SystemCommand.ip("mptcp", "endpoint", "change", "id", Integer.toString(e.id()),
                            e.backupBefore() ? "backup" : "nobackup");
                }
            } catch (IOException ignored) {
                // best effort at stop; the next start finds and reuses what is left
            }
        }
        endpoints.clear();
    }

    private static MptcpEndpoint find(String address) throws IOException {
        for (MptcpEndpoint e : MptcpEndpoint.parse(SystemCommand.ip("mptcp", "endpoint", "show"))) {
            // ip prints IPv6 compressed, Java in full: compare the addresses, not the strings
            try {
                if (Addresses.parseLiteral(e.address()).equals(Addresses.parseLiteral(address))) {
                    return e;
                }
            } catch (IllegalArgumentException notAnAddress) {
                // a line ip prints that is no endpoint of ours
            }
        }
        return null;
    }

    /** The interface's addresses that MPTCP can use (not link-local or loopback), as {@code ip} prints them. */
    static List<String> globalAddresses(String iface) throws IOException {
        NetworkInterface ni;
        try {
            ni = NetworkInterface.getByName(iface);
        } catch (SocketException e) {
            throw new IOException("cannot read interface " + iface + ": " + e.getMessage(), e);
        }
        if (ni == null) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        for (InetAddress a : Collections.list(ni.getInetAddresses())) {
            if (!a.isLinkLocalAddress() && !a.isLoopbackAddress()) {
                String s = a.getHostAddress();
                out.add(a instanceof Inet6Address && s.contains("%") ? s.substring(0, s.indexOf('%')) : s);
            }
        }
        return out;
    }
}
