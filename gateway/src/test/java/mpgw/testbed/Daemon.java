package mpgw.testbed;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A long-running process for a test (a daemon of ours, a third-party server), usually inside a network
 * namespace: its output (stdout and stderr merged) is kept line by line so tests can wait for a line
 * ({@link #awaitLine}) and assert on the log; {@link #close()} stops it with SIGTERM, by its PID, then SIGKILL
 * if it does not exit within 15 s, and fails (naming the daemon, with the tail of its log) when the daemon had
 * died before it was stopped, needed the SIGKILL, or exited with another status than the ones it documents for
 * SIGTERM ({@link #expectStopStatus}; by default 0 or 143, a clean exit or the default action of SIGTERM).
 *
 * <p>Thread-safe.
 */
public final class Daemon implements AutoCloseable {
    // Longer than the daemons' own default drain (shutdown-grace 10 s), so a daemon draining open flows is not killed.
    private static final Duration STOP_GRACE = Duration.ofSeconds(15);

    private final String name;
    private final Process process;
    private final List<String> lines = new ArrayList<>();
    private boolean readerAlive = true;
    private volatile Set<Integer> stopStatuses = Set.of(0, 143);
    private volatile boolean exitAwaited;
    private boolean closed;

    private Daemon(String name, Process process) {
        this.name = name;
        this.process = process;
        Thread reader = new Thread(this::readOutput, "daemon-output-" + name);
        reader.setDaemon(true);
        reader.start();
    }

    /** Starts {@code command}; {@code name} labels its echoed log lines and failure messages. */
    public static Daemon start(String name, List<String> command) throws IOException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getOutputStream().close();
        return new Daemon(name, p);
    }

    /** Starts {@code command} inside network namespace {@code ns}. */
    public static Daemon startIn(String ns, String name, List<String> command) throws IOException {
        List<String> all = new ArrayList<>(List.of("ip", "netns", "exec", ns));
        all.addAll(command);
        return start(name, all);
    }

    /**
     * Writes {@code hocon} to a new file in {@code workDir}, runs {@code mainClass} with {@code --config} on it in
     * {@code ns}, and returns once it logged {@code readyLine} (30 s); a daemon that does not get there is stopped.
     */
    static Daemon startConfigured(String ns, String name, String mainClass, String hocon, Path workDir,
                                  String readyLine) throws IOException, InterruptedException {
        return startConfigured(ns, name, List.of(), mainClass, hocon, workDir, readyLine);
    }

    /** The same with {@code jvmOptions} (see {@link #java(List, String, String...)}). */
    static Daemon startConfigured(String ns, String name, List<String> jvmOptions, String mainClass, String hocon,
                                  Path workDir, String readyLine) throws IOException, InterruptedException {
        Files.createDirectories(workDir);
        Path config = Files.createTempFile(workDir, name + "-", ".conf");
        Files.writeString(config, hocon);
        Daemon d = startIn(ns, name, java(jvmOptions, mainClass, "--config", config.toString()));
        d.expectStopStatus(STOPPED_BY_SIGTERM);
        try {
            d.awaitLine(readyLine, Duration.ofSeconds(30));
        } catch (AssertionError | InterruptedException e) {
            d.stop(); // the failure above already carries the log
            throw e;
        }
        return d;
    }

    /**
     * The exit status of our daemons (GatewayMain, ServerMain) after SIGTERM: the JVM runs the shutdown hook that
     * drains and stops the daemon, then exits with 128 + 15 (docs/socks-server.md, "Exit status").
     */
    static final int STOPPED_BY_SIGTERM = 143;

    /** The exit statuses {@link #close()} accepts after its SIGTERM (by default 0 and 143). */
    public Daemon expectStopStatus(Integer... statuses) {
        stopStatuses = Set.of(statuses);
        return this;
    }

    /**
     * The command that runs {@code mainClass} of the test class path in a fresh JVM, with Netty's paranoid leak
     * detection on so {@link #assertNoLeaks()} can see leaks of the daemon itself.
     */
    public static List<String> java(String mainClass, String... args) {
        return java(List.of(), mainClass, args);
    }

    /**
     * The same with {@code jvmOptions} added; one that sets {@code io.netty.leakDetection.level} replaces the
     * paranoid level (a test that measures the daemon's memory: paranoid keeps a stack trace per buffer access).
     */
    public static List<String> java(List<String> jvmOptions, String mainClass, String... args) {
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                // Small and quick to start: the machine is shared and the links are slow anyway.
                "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xmx256m"));
        if (jvmOptions.stream().noneMatch(o -> o.startsWith("-Dio.netty.leakDetection.level="))) {
            cmd.add("-Dio.netty.leakDetection.level=paranoid");
        }
        cmd.addAll(jvmOptions);
        // Extra options for one run (e.g. -XX:NativeMemoryTracking=summary to measure a daemon's memory).
        String extra = System.getProperty("mpgw.test.daemonJvmOptions", "").strip();
        if (!extra.isEmpty()) {
            cmd.addAll(List.of(extra.split("\\s+")));
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), mainClass));
        cmd.addAll(List.of(args));
        return cmd;
    }

    private void readOutput() {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                System.out.println("[" + name + "] " + line);
                synchronized (lines) {
                    lines.add(line);
                    lines.notifyAll();
                }
            }
        } catch (IOException e) {
            // The process is gone; what it printed so far stays readable.
        } finally {
            synchronized (lines) {
                readerAlive = false;
                lines.notifyAll();
            }
        }
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** Every line so far. */
    public List<String> lines() {
        synchronized (lines) {
            return List.copyOf(lines);
        }
    }

    /** The whole log so far, for failure messages. */
    public String log() {
        return String.join("\n", lines());
    }

    /** The first line containing {@code text}, waiting up to {@code timeout}; fails if it never comes. */
    public String awaitLine(String text, Duration timeout) throws InterruptedException {
        return awaitLine(l -> l.contains(text), "a line containing '" + text + "'", timeout);
    }

    public String awaitLine(Predicate<String> wanted, String what, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (lines) {
            int seen = 0;
            while (true) {
                for (; seen < lines.size(); seen++) {
                    if (wanted.test(lines.get(seen))) {
                        return lines.get(seen);
                    }
                }
                long left = deadline - System.nanoTime();
                if (left <= 0 || (!process.isAlive() && seen == lines.size())) {
                    throw new AssertionError(name + ": no " + what + " within " + timeout.toMillis() + " ms"
                            + (process.isAlive() ? "" : " (exited with " + process.exitValue() + ")")
                            + "; log:\n" + String.join("\n", lines));
                }
                lines.wait(Math.max(1, Math.min(TimeUnit.NANOSECONDS.toMillis(left), 200)));
            }
        }
    }

    /** The first {@code count} lines containing {@code text}, waiting up to {@code timeout} for them. */
    public List<String> awaitLines(String text, int count, Duration timeout) throws InterruptedException {
        int[] seen = {0};
        awaitLine(l -> l.contains(text) && ++seen[0] >= count, count + " lines containing '" + text + "'", timeout);
        return linesContaining(text).subList(0, count);
    }

    /** Lines containing {@code text}. */
    public List<String> linesContaining(String text) {
        return lines().stream().filter(l -> l.contains(text)).toList();
    }

    /** Fails if the daemon's Netty reported a leaked buffer. */
    public void assertNoLeaks() {
        List<String> leaks = linesContaining("LEAK:");
        if (!leaks.isEmpty()) {
            throw new AssertionError(name + " leaked buffers:\n" + log());
        }
    }

    /** Waits for the process to exit by itself (a command rather than a daemon); returns its exit status. */
    public int awaitExit(Duration timeout) throws InterruptedException {
        exitAwaited = true;
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            stop();
            throw new AssertionError(name + " still running after " + timeout.toMillis() + " ms; log:\n" + log());
        }
        awaitReader();
        return process.exitValue();
    }

    /** Lets the reader thread take the last lines (at most 2 s). */
    private void awaitReader() throws InterruptedException {
        synchronized (lines) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
            while (readerAlive && System.nanoTime() < deadline) {
                lines.wait(100);
            }
        }
    }

    /** SIGTERM, then SIGKILL after 15 s; returns the exit status, without judging it (see {@link #close()}). */
    public int stop() throws InterruptedException {
        stopAndTell();
        return process.exitValue();
    }

    /** SIGTERM, then SIGKILL after 15 s; true when the SIGKILL was needed. */
    private boolean stopAndTell() throws InterruptedException {
        if (process.isAlive()) {
            // The handle only signals: Process.destroy() would also close our end of the output pipe, losing what
            // the daemon logs while it stops (and a shell daemon would die of SIGPIPE writing it).
            process.toHandle().destroy();
            if (!process.waitFor(STOP_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
                process.toHandle().destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
                return true;
            }
        }
        return false;
    }

    /** The last {@code n} lines of the log, for failure messages. */
    public String tail(int n) {
        List<String> all = lines();
        return String.join("\n", all.subList(Math.max(0, all.size() - n), all.size()));
    }

    /**
     * Stops the daemon (SIGTERM, SIGKILL after 15 s) and fails unless it stopped the way it documents: it was
     * still running, exited within the grace period, with one of the {@link #expectStopStatus} statuses. A command
     * whose exit was awaited ({@link #awaitExit}) is not judged here.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        boolean diedBefore = !process.isAlive();
        boolean killed;
        try {
            killed = stopAndTell();
            awaitReader();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
            return;
        }
        if (exitAwaited) {
            return;
        }
        String where = name + " (pid " + process.pid() + ")";
        if (killed) {
            throw new AssertionError(where + " did not exit within " + STOP_GRACE.toSeconds()
                    + " s of SIGTERM and was killed with SIGKILL; log tail:\n" + tail(30));
        }
        int status = process.exitValue();
        if (diedBefore) {
            throw new AssertionError(where + " had already exited with status " + status
                    + " before the test stopped it (crashed?); log tail:\n" + tail(30));
        }
        if (!stopStatuses.contains(status)) {
            throw new AssertionError(where + " exited with status " + status + " after SIGTERM, expected "
                    + stopStatuses + "; log tail:\n" + tail(30));
        }
    }
}
