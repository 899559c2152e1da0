package mpgw.gateway.check;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import mpgw.gateway.config.GatewaySettings;
import mpgw.net.FastOpenSysctl;

/**
 * The checks of {@code mpgw check} that compare the running kernel with what mpgw uses: the release and the MPTCP
 * features it brought, and the TCP Fast Open settings {@code upstream.fast-open} depends on. Each returns one
 * {@link Check}; none changes the system.
 */
final class KernelChecks {
    private KernelChecks() {
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

}
