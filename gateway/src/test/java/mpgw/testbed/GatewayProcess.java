package mpgw.testbed;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

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
        Files.createDirectories(workDir);
        Path config = Files.createTempFile(workDir, "gateway-", ".conf");
        Files.writeString(config, hocon);
        Daemon d = Daemon.startIn(ns, "gateway", Daemon.java("mpgw.gateway.GatewayMain", "--config",
                config.toString()));
        try {
            d.awaitLine("gateway up", Duration.ofSeconds(30));
        } catch (AssertionError | InterruptedException e) {
            d.close();
            throw e;
        }
        return new GatewayProcess(d);
    }

    public Daemon daemon() {
        return daemon;
    }

    /** Waits for the flow log line (or any line) containing {@code text}. */
    public String awaitLine(String text) throws InterruptedException {
        return daemon.awaitLine(text, Duration.ofSeconds(20));
    }

    @Override
    public void close() {
        daemon.close();
        daemon.assertNoLeaks();
    }
}
