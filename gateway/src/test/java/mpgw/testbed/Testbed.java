package mpgw.testbed;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadLocalRandom;
import mpgw.jni.NetworkNamespace;
import mpgw.testing.Sh;

/**
 * A running {@code bin/testbed.sh} network (client, gw, srv, dst namespaces; N shaped links between gw and srv)
 * for end-to-end tests, the demo and benchmarks: built by {@link #up}, torn down by {@link #close()}, which
 * first ends every process still running inside its namespaces (only this testbed's processes can be there).
 *
 * <p>The addresses come from the script's KEY=VALUE description ({@link #get}), so tests never hard-code them.
 * Thread-safe for reads; {@link #link} and {@link #close()} are meant for the test thread.
 */
public final class Testbed implements AutoCloseable {
    private final String prefix;
    private final Map<String, String> env;
    private volatile boolean closed;

    private Testbed(String prefix, Map<String, String> env) {
        this.prefix = prefix;
        this.env = env;
    }

    /**
     * Builds the testbed; {@code options} are testbed.sh's ({@code --links 2}, {@code --rate 20mbit},
     * {@code --ipv6}, {@code --delay 10}: links with a round-trip time). {@code base} must start with "mpgw" so
     * CI's leftover check sees it; a random part is added ({@code mpgwgwt-3fa-}), because testbed.sh first tears
     * down a testbed of the same prefix: two runs of the same test on one machine (a worktree and main) must not
     * share namespaces.
     */
    public static Testbed up(String base, String... options) throws IOException, InterruptedException {
        if (!base.startsWith("mpgw")) {
            throw new IllegalArgumentException("testbed prefix must start with 'mpgw': " + base);
        }
        String prefix = base + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x100, 0x1000)) + "-";
        Path envFile = Files.createTempFile("mpgw-testbed-", ".env");
        try {
            List<String> cmd = new ArrayList<>(List.of("bash", SourceTree.script("bin/testbed.sh"), "up",
                    "--prefix", prefix, "--env", envFile.toString()));
            cmd.addAll(List.of(options));
            Sh.Result r = Sh.run(cmd);
            if (r.exitCode() != 0) {
                Sh.run(List.of("bash", SourceTree.script("bin/testbed.sh"), "down", "--prefix", prefix));
                throw new IOException("testbed.sh up failed (exit " + r.exitCode() + "):\n" + r.output());
            }
            Testbed t = new Testbed(prefix, parse(Files.readAllLines(envFile)));
            Runtime.getRuntime().addShutdownHook(new Thread(t::close, "testbed-down-" + prefix));
            return t;
        } finally {
            Files.deleteIfExists(envFile);
        }
    }

    private static Map<String, String> parse(List<String> lines) {
        Map<String, String> env = new LinkedHashMap<>();
        for (String line : lines) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                env.put(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        return env;
    }

    /** A value of the testbed description, e.g. {@code DST_IP}; fails for an unknown key. */
    public String get(String key) {
        String v = env.get(key);
        if (v == null) {
            throw new IllegalArgumentException("testbed " + prefix + " has no " + key + " (have " + env.keySet() + ")");
        }
        return v;
    }

    /** A comma-separated value of the description as a list, e.g. {@code SRV_IPS}. */
    public List<String> list(String key) {
        return List.of(get(key).split(","));
    }

    public String prefix() {
        return prefix;
    }

    public String client() {
        return get("NS_CLIENT");
    }

    public String gw() {
        return get("NS_GW");
    }

    public String srv() {
        return get("NS_SRV");
    }

    public String dst() {
        return get("NS_DST");
    }

    /** Runs {@code bash -c script} in namespace {@code ns}; fails unless it exits 0; returns its output. */
    public String exec(String ns, String script) throws IOException, InterruptedException {
        Sh.Result r = Sh.run(List.of("ip", "netns", "exec", ns, "bash", "-c", script));
        if (r.exitCode() != 0) {
            throw new IOException("exit " + r.exitCode() + " in " + ns + ": " + script + "\n" + r.output());
        }
        return r.output();
    }

    /** Runs Java code on a thread inside {@code ns}: sockets it creates live there. */
    public <T> T call(String ns, Callable<T> task) throws Exception {
        return NetworkNamespace.call(ns, task);
    }

    /** Takes gw's end of link {@code n} (1-based) down or up ({@code testbed.sh link}). */
    public void link(int n, boolean up) throws IOException, InterruptedException {
        Sh.check("bash " + SourceTree.script("bin/testbed.sh") + " link " + (up ? "up " : "down ") + n
                + " --prefix " + prefix);
    }

    /** Ends the processes left in the namespaces (by PID), then deletes the namespaces. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            for (String ns : List.of(env.get("NS_CLIENT"), env.get("NS_GW"), env.get("NS_SRV"), env.get("NS_DST"))) {
                killProcessesIn(ns);
            }
            Sh.run(List.of("bash", SourceTree.script("bin/testbed.sh"), "down", "--prefix", prefix));
        } catch (IOException | InterruptedException e) {
            System.err.println("testbed " + prefix + ": teardown failed: " + e);
        }
    }

    private static void killProcessesIn(String ns) throws IOException, InterruptedException {
        if (ns == null) {
            return;
        }
        for (String signal : List.of("TERM", "KILL")) {
            String pids = Sh.run(List.of("ip", "netns", "pids", ns)).output().trim().replace('\n', ' ');
            if (pids.isEmpty()) {
                return;
            }
            Sh.run(List.of("bash", "-c", "kill -" + signal + " " + pids + " 2>/dev/null; sleep 0.5"));
        }
    }
}
