package mpgw.gateway.check;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import mpgw.gateway.config.GatewaySettings;
import mpgw.gateway.config.InterceptMode;
import mpgw.jni.MptcpMode;
import mpgw.jni.MptcpSocketFactory;
import mpgw.net.FastOpenSysctl;
import mpgw.paths.MptcpEndpoint;
import mpgw.paths.SystemCommand;

/**
 * The checks of {@code mpgw check} that look at this host alone: MPTCP in the kernel, the path manager's limits
 * and endpoints, and the interception rules. Each returns one {@link Check}; none changes the system.
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

    /** A kernel feature mpgw uses, the release that brought it, and what mpgw loses without it. */
    record KernelFeature(int major, int minor, String name, String without) {
        String since() {
            return major + "." + minor;
        }
    }

    static final KernelFeature KERNEL_FAST_OPEN = new KernelFeature(6, 2,
            "TCP Fast Open on MPTCP sockets (MSG_FASTOPEN, TCP_FASTOPEN on listeners)",
            "upstream.fast-open and server.fast-open cannot work; leave them off");

    /**
     * The MPTCP features mpgw relies on, oldest first (docs/kernel.md has the kernel commits). Below 5.16 the
     * gateway cannot read a connection's subflows at all; the others degrade or turn one option off.
     */
    static final List<KernelFeature> KERNEL_FEATURES = List.of(
            new KernelFeature(5, 15, "endpoint flag fullmesh",
                    "'mpgw-endpoints --fullmesh' (and the path watcher re-adding such an endpoint) fails"),
            new KernelFeature(5, 16, "MPTCP_INFO and per-subflow addresses (MPTCP_TCPINFO, MPTCP_SUBFLOW_ADDRS)",
                    "no subflow counts or per-path bytes: mpgw check's subflow check, the pool's min-subflows and"
                            + " mpgw_gateway_path_bytes_total fail"),
            KERNEL_FAST_OPEN,
            new KernelFeature(6, 5, "MPTCP_FULL_INFO",
                    "subflow info is read with two calls (MPTCP_TCPINFO + MPTCP_SUBFLOW_ADDRS), which may disagree"
                            + " when a subflow joins or leaves between them"));

    /** The oldest release mpgw runs on: below it the subflow information is missing. */
    static final int[] KERNEL_REQUIRED = {5, 16};

    static final Path OSRELEASE = Path.of("/proc/sys/kernel/osrelease");

    /**
     * The features of {@link #KERNEL_FEATURES} that a kernel release string (uname -r, e.g. "5.15.0-91-generic")
     * lacks, oldest first; null when the string does not start with MAJOR.MINOR.
     */
    static List<KernelFeature> missingKernelFeatures(String release) {
        int[] v = kernelVersion(release);
        if (v == null) {
            return null;
        }
        List<KernelFeature> missing = new ArrayList<>();
        for (KernelFeature f : KERNEL_FEATURES) {
            if (older(v, f.major(), f.minor())) {
                missing.add(f);
            }
        }
        return missing;
    }

    private static int[] kernelVersion(String release) {
        Matcher m = Pattern.compile("^\\s*(\\d+)\\.(\\d+)").matcher(release == null ? "" : release);
        return m.find() ? new int[] {Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2))} : null;
    }

    private static boolean older(int[] v, int major, int minor) {
        return v[0] < major || (v[0] == major && v[1] < minor);
    }

    static Check kernel(GatewaySettings settings) {
        return kernel(readString(OSRELEASE), settings.fastOpen());
    }

    /**
     * The kernel release against {@link #KERNEL_FEATURES}: FAIL below 5.16 (mpgw needs the subflow information),
     * or below 6.2 with upstream.fast-open on; otherwise OK, naming what is missing and what it costs.
     */
    static Check kernel(String release, boolean fastOpen) {
        String name = release == null ? "unreadable" : release.trim();
        List<KernelFeature> missing = missingKernelFeatures(release);
        if (missing == null) {
            return Check.fail("kernel", "cannot read the kernel release from '" + name + "'",
                    "Linux " + KERNEL_REQUIRED[0] + "." + KERNEL_REQUIRED[1] + " or later (docs/kernel.md)");
        }
        if (missing.isEmpty()) {
            return Check.ok("kernel", "Linux " + name + " has every MPTCP feature mpgw uses (" + String.join(", ",
                    KERNEL_FEATURES.stream().map(f -> f.name().replaceFirst(" \\(.*", "") + " " + f.since()).toList())
                    + ")");
        }
        String list = String.join("; ", missing.stream()
                .map(f -> f.name() + " (" + f.since() + "): " + f.without()).toList());
        int[] v = kernelVersion(release);
        if (older(v, KERNEL_REQUIRED[0], KERNEL_REQUIRED[1])) {
            return Check.fail("kernel", "Linux " + name + " lacks " + list, "Linux " + KERNEL_REQUIRED[0] + "."
                    + KERNEL_REQUIRED[1] + " or later, 6.5+ for every feature (docs/kernel.md)");
        }
        if (fastOpen && missing.contains(KERNEL_FAST_OPEN)) {
            return Check.fail("kernel", "Linux " + name + " lacks " + list, "set upstream.fast-open = off, or run"
                    + " Linux 6.2 or later (docs/kernel.md)");
        }
        return Check.ok("kernel", "Linux " + name + " runs mpgw; missing: " + list);
    }

    /**
     * upstream.fast-open needs the client bit of net.ipv4.tcp_fastopen, or the kernel ignores MSG_FASTOPEN; and a
     * receive buffer default of 1 MiB, or its downloads crawl (docs/zero-rtt.md, "TFO and the second subflow").
     */
    static Check fastOpen(GatewaySettings settings) {
        return fastOpen(settings, FastOpenSysctl.read(), readString(TCP_RMEM));
    }

    static final Path TCP_RMEM = Path.of("/proc/sys/net/ipv4/tcp_rmem");
    static final int FAST_OPEN_RMEM_DEFAULT = 1 << 20;

    static Check fastOpen(GatewaySettings settings, FastOpenSysctl sysctl, String tcpRmem) {
        if (!settings.fastOpen()) {
            return Check.ok("fast-open", "upstream.fast-open = off");
        }
        if (!sysctl.allowsClient()) {
            return Check.fail("fast-open", "upstream.fast-open = on but " + sysctl + " forbids it for clients: every"
                    + " flow waits one more round trip", "sysctl -w " + FastOpenSysctl.KEY + "=" + sysctl.withClient()
                    + " (and server.fast-open with bit 2 on router B)");
        }
        String[] rmem = tcpRmem == null ? new String[0] : tcpRmem.trim().split("\\s+");
        if (rmem.length == 3 && rmem[1].matches("\\d+") && rmem[2].matches("\\d+")
                && Long.parseLong(rmem[1]) < FAST_OPEN_RMEM_DEFAULT) {
            long max = Math.max(Long.parseLong(rmem[2]), FAST_OPEN_RMEM_DEFAULT);
            return Check.fail("fast-open", "upstream.fast-open = on but the net.ipv4.tcp_rmem default is " + rmem[1]
                    + ": once router B accepts TFO, a new connection's downloads lose segments when its second"
                    + " subflow joins and run about 10 times slower (kernel; docs/zero-rtt.md)",
                    "sysctl -w net.ipv4.tcp_rmem=\"" + rmem[0] + " " + FAST_OPEN_RMEM_DEFAULT + " " + max + "\"");
        }
        return Check.ok("fast-open", sysctl + " allows it for clients (router B needs bit 2 and server.fast-open),"
                + " net.ipv4.tcp_rmem default " + (rmem.length == 3 ? rmem[1] : "unreadable"));
    }

    private static String readString(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return null;
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
