package mpgw.gateway.check;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import mpgw.gateway.config.GatewaySettings;
import mpgw.gateway.config.InterceptMode;
import mpgw.jni.MptcpMode;
import mpgw.jni.MptcpSocketFactory;
import mpgw.paths.MptcpEndpoint;
import mpgw.paths.SystemCommand;

/**
 * The checks of {@code mpgw check} that look at this host alone: MPTCP in the kernel, the path manager's limits
 * and endpoints, and the interception rules (the kernel release and fast open: {@link KernelChecks}). Each
 * returns one {@link Check}; none changes the system.
 */
final class HostChecks {
    private static final String ENDPOINTS = "iptables/mpgw-endpoints";
    private static final String RULES = "iptables/mpgw-rules";

    private HostChecks() {
    }

    static Check mptcpEnabled() {
        Path sysctl = Path.of("/proc/sys/net/mptcp/enabled");
        try {
            if (!Files.exists(sysctl)) {
                return Check.fail("mptcp", "this kernel has no MPTCP (net.mptcp.enabled is missing)",
                        "a kernel built with CONFIG_MPTCP (Linux 5.16 or later, 6.5+ recommended: docs/kernel.md)");
            }
            if (!Files.readString(sysctl).trim().equals("1")) {
                return Check.fail("mptcp", "net.mptcp.enabled = 0", "sysctl -w net.mptcp.enabled=1");
            }
            new MptcpSocketFactory(MptcpMode.REQUIRED).newStreamSocket(false).close();
            return Check.ok("mptcp", "net.mptcp.enabled = 1 and an MPTCP socket can be created");
        } catch (IOException | RuntimeException | LinkageError e) {
            return Check.fail("mptcp", "cannot create an MPTCP socket: " + e.getMessage(),
                    "sysctl -w net.mptcp.enabled=1 (per network namespace)");
        }
    }

    /** Limits and endpoints: without either, every connection stays on its first path. */
    static Check pathManager(int paths) {
        try {
            String limits = SystemCommand.ip("mptcp", "limits", "show");
            int subflows = limit(limits, "subflows");
            int addAddrAccepted = limit(limits, "add_addr_accepted");
            List<MptcpEndpoint> endpoints = MptcpEndpoint.parse(SystemCommand.ip("mptcp", "endpoint", "show"))
                    .stream().filter(MptcpEndpoint::active).toList();
            String seen = "limits subflows " + subflows + " add_addr_accepted " + addAddrAccepted + ", endpoints "
                    + (endpoints.isEmpty() ? "none" : endpoints.toString());
            if (subflows < 1) {
                return Check.fail("path-manager", seen + ": no connection can open a second subflow",
                        ENDPOINTS + " --role gateway [--wan IFACE ...] (sets the limits)");
            }
            if (endpoints.isEmpty() && addAddrAccepted < 1) {
                return Check.fail("path-manager", seen + ": every connection stays on one path",
                        "on router B '" + ENDPOINTS + " --role server --wan <every WAN>', here '" + ENDPOINTS
                                + " --role gateway'");
            }
            if (subflows < paths - 1) {
                return Check.fail("path-manager", seen + ": fewer extra subflows allowed than the " + paths
                        + " configured paths need", ENDPOINTS + " --role gateway --subflows " + (paths - 1));
            }
            return Check.ok("path-manager", seen + (endpoints.isEmpty() ? " (subflows follow router B's announcements)"
                    : ""));
        } catch (IOException e) {
            return Check.fail("path-manager", "cannot read the MPTCP limits: " + e.getMessage(),
                    "install iproute2 with 'ip mptcp' (Debian 11+)");
        }
    }

    private static int limit(String limits, String name) {
        Matcher m = Pattern.compile("\\b" + name + " (\\d+)").matcher(limits);
        return m.find() ? Integer.parseInt(m.group(1)) : 0;
    }

    /** The interception rules: installed, aimed at a listen port, and skipping the gateway's own (marked) traffic. */
    static Check rules(GatewaySettings settings) {
        if (settings.mode() == InterceptMode.TPROXY) {
            return Check.ok("rules", "mode tproxy: the TCP TPROXY rules are not managed by " + RULES + "; not checked");
        }
        TreeSet<Integer> ports = new TreeSet<>();
        for (InetSocketAddress a : settings.listen()) {
            ports.add(a.getPort());
        }
        String fix = RULES + " install --port " + ports.first() + " --mark 0x" + Integer.toHexString(settings.mark())
                + " --lan <LAN prefix> " + String.join(" ", settings.servers().stream()
                        .map(s -> "--server " + s.getAddress().getHostAddress()).toList());
        Installed rules = Installed.read();
        if (rules != null && rules.backend().equals("denied")) {
            return Check.fail("rules", "cannot read the packet-filter rules: " + rules.text().trim(),
                    "run mpgw check as root (or with CAP_NET_ADMIN)");
        }
        if (rules == null) {
            return Check.fail("rules", "no mpgw interception rules (nft table inet mpgw or iptables chain MPGW)", fix);
        }
        if (rules.port() < 0 || !ports.contains(rules.port())) {
            return Check.fail("rules", rules.backend() + " rules redirect to port " + rules.port()
                    + " but the gateway listens on " + ports, fix);
        }
        if (settings.mark() != 0 && !rules.skipsMark(settings.mark())) {
            return Check.fail("rules", rules.backend() + " rules do not skip packets marked 0x"
                    + Integer.toHexString(settings.mark()) + " (upstream.mark)", fix);
        }
        if (settings.mark() == 0 && rules.localOutput()) {
            return Check.fail("rules", "the rules redirect this router's own TCP (--local-output) but upstream.mark"
                    + " is 0: the gateway's upstream connections would be intercepted", "set upstream.mark and "
                    + RULES + " --mark to the same value");
        }
        return Check.ok("rules", rules.backend() + " rules redirect TCP to port " + rules.port()
                + (settings.mark() != 0 ? ", skip mark 0x" + Integer.toHexString(settings.mark()) : "")
                + ", local-output " + (rules.localOutput() ? "yes" : "no"));
    }

    /** What the installed rules do, read from nft or iptables. */
    private record Installed(String backend, String text, int port, boolean localOutput) {
        static Installed read() {
            try {
                String nft = SystemCommand.run(List.of("nft", "list", "table", "inet", "mpgw"));
                return new Installed("nft", nft, port(nft, "redirect to :(\\d+)"), nft.contains("chain output_nat"));
            } catch (IOException e) {
                if (denied(e)) {
                    return new Installed("denied", e.getMessage(), -1, false);
                }
                // no nft, or no table: try iptables
            }
            try {
                String chain = SystemCommand.run(List.of("iptables", "-w", "-t", "nat", "-S", "MPGW"));
                String prerouting = SystemCommand.run(List.of("iptables", "-w", "-t", "nat", "-S", "PREROUTING"));
                if (!prerouting.contains("-j MPGW")) {
                    return null;
                }
                String output = SystemCommand.run(List.of("iptables", "-w", "-t", "nat", "-S", "OUTPUT"));
                return new Installed("iptables", chain, port(chain, "--to-ports (\\d+)"), output.contains("-j MPGW"));
            } catch (IOException e) {
                return null;
            }
        }

        private static boolean denied(IOException e) {
            String m = String.valueOf(e.getMessage());
            return m.contains("Operation not permitted") || m.contains("Permission denied");
        }

        private static int port(String text, String regex) {
            Matcher m = Pattern.compile(regex).matcher(text);
            return m.find() ? Integer.parseInt(m.group(1)) : -1;
        }

        boolean skipsMark(int mark) {
            return backend.equals("nft") ? text.contains(String.format("meta mark 0x%08x return", mark))
                    || text.contains(String.format("== 0x%08x return", mark))
                    : text.contains("--mark 0x" + Integer.toHexString(mark));
        }
    }
}
