package mpgw.gateway.udp;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import mpgw.jni.NetworkNamespace;
import mpgw.testing.Sh;

/**
 * bin/testbed.sh's two-router network (client, gw, srv, dst namespaces, two links, IPv4 and IPv6) for the UDP
 * tests, with a unique prefix: helpers to run commands, Java code and background programs in its namespaces.
 * {@link #close()} stops the programs it started (by PID) and deletes the namespaces.
 */
final class UdpTestbed implements AutoCloseable {
    private final String prefix;
    private final Map<String, String> env = new LinkedHashMap<>();
    private final List<Process> processes = new ArrayList<>();

    private UdpTestbed(String prefix) {
        this.prefix = prefix;
    }

    static UdpTestbed up(String rate) throws IOException, InterruptedException {
        return up(rate, 0);
    }

    /** @param delayMillis one-way delay of every link (testbed.sh --delay), 0 for none */
    static UdpTestbed up(String rate, int delayMillis) throws IOException, InterruptedException {
        String prefix = "mpgwudp" + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x1000, 0xffff)) + "-";
        UdpTestbed bed = new UdpTestbed(prefix);
        try {
            String out = Sh.check(repo().resolve("bin/testbed.sh") + " up --prefix " + prefix
                    + " --links 2 --ipv6 --rate " + rate + (delayMillis > 0 ? " --delay " + delayMillis : "")
                    + " 2>/dev/null");
            for (String line : out.split("\n")) {
                int eq = line.indexOf('=');
                if (eq > 0) {
                    bed.env.put(line.substring(0, eq), line.substring(eq + 1));
                }
            }
        } catch (IOException | RuntimeException e) {
            bed.close();
            throw e;
        }
        return bed;
    }

    static Path repo() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("bin/testbed.sh"))) {
                return p;
            }
        }
        throw new IllegalStateException("no bin/testbed.sh above " + Path.of("").toAbsolutePath());
    }

    String get(String key) {
        String v = env.get(key);
        if (v == null) {
            throw new IllegalStateException("testbed has no " + key + ": " + env.keySet());
        }
        return v;
    }

    /** Namespace of a role: client, gw, srv, dst. */
    String ns(String role) {
        return prefix + role;
    }

    String exec(String role, String script) throws IOException, InterruptedException {
        return Sh.check("ip netns exec " + ns(role) + " bash -c '" + script.replace("'", "'\\''") + "'");
    }

    Sh.Result run(String role, String script) throws IOException, InterruptedException {
        return Sh.run(List.of("ip", "netns", "exec", ns(role), "bash", "-c", script));
    }

    <T> T call(String role, Callable<T> task) throws Exception {
        return NetworkNamespace.call(ns(role), task);
    }

    /** Starts a program in the background in a namespace; its output goes to {@code log}. */
    Process spawn(String role, Path log, String... command) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns(role)));
        cmd.addAll(List.of(command));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        processes.add(p);
        return p;
    }

    void link(String upOrDown, int n) throws IOException, InterruptedException {
        Sh.check(repo().resolve("bin/testbed.sh") + " link " + upOrDown + " " + n + " --prefix " + prefix);
    }

    @Override
    public void close() {
        for (Process p : processes) {
            p.destroy();
            try {
                if (!p.waitFor(5, TimeUnit.SECONDS)) {
                    p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        try {
            Sh.run(List.of(repo().resolve("bin/testbed.sh").toString(), "down", "--prefix", prefix));
        } catch (IOException | InterruptedException ignored) {
            // The namespaces are checked by CI; nothing more to do here.
        }
    }
}
