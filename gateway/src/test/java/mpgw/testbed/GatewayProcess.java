package mpgw.testbed;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * {@code mpgw.gateway.GatewayMain} as a real process inside a namespace, started from a config text and ready
 * once it logs "gateway up". Closing it sends SIGTERM; {@link #close()} also fails when its Netty reported a
 * leaked buffer.
 */
public final class GatewayProcess implements AutoCloseable {
    private final Daemon daemon;

    private GatewayProcess(Daemon daemon) {
        this.daemon = daemon;
    }

    /** Writes {@code hocon} to a file in {@code workDir} and runs the gateway with it in {@code ns}. */
    public static GatewayProcess start(String ns, String hocon, Path workDir) throws IOException, InterruptedException {
        return start(ns, List.of(), hocon, workDir);
    }

    /** The same with {@code jvmOptions} added to the daemon's JVM ({@link Daemon#java(List, String, String...)}). */
    public static GatewayProcess start(String ns, List<String> jvmOptions, String hocon, Path workDir)
            throws IOException, InterruptedException {
        return new GatewayProcess(Daemon.startConfigured(ns, "gateway", jvmOptions, "mpgw.gateway.GatewayMain", hocon,
                workDir, "gateway up"));
    }

    public Daemon daemon() {
        return daemon;
    }

    /** Waits for the flow log line (or any line) containing {@code text}. */
    public String awaitLine(String text) throws InterruptedException {
        return daemon.awaitLine(text, Duration.ofSeconds(20));
    }

    /** SIGTERM; fails unless it exits with 143 within 15 s (see {@link Daemon#close()}) and without a leak report. */
    @Override
    public void close() {
        AssertionError stopped = null;
        try {
            daemon.close();
        } catch (AssertionError e) {
            stopped = e;
        }
        try {
            daemon.assertNoLeaks();
        } catch (AssertionError leak) {
            if (stopped == null) {
                throw leak;
            }
            stopped.addSuppressed(leak);
        }
        if (stopped != null) {
            throw stopped;
        }
    }
}
