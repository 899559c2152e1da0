package mpgw.testbed;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * mpgw's own socks-server ({@code mpgw.server.ServerMain}) as a real process inside a namespace, started from a
 * config text and ready once it logs "socks-server up". {@link #close()} sends SIGTERM and fails on a Netty leak
 * report of the server.
 */
public final class SocksServerProcess implements AutoCloseable {
    private final Daemon daemon;

    private SocksServerProcess(Daemon daemon) {
        this.daemon = daemon;
    }

    public static SocksServerProcess start(String ns, String hocon, Path workDir) throws IOException, InterruptedException {
        Files.createDirectories(workDir);
        Path config = Files.createTempFile(workDir, "server-", ".conf");
        Files.writeString(config, hocon);
        Daemon d = Daemon.startIn(ns, "socks-server", Daemon.java("mpgw.server.ServerMain", "--config",
                config.toString()));
        try {
            d.awaitLine("socks-server up", Duration.ofSeconds(30));
        } catch (AssertionError | InterruptedException e) {
            d.close();
            throw e;
        }
        return new SocksServerProcess(d);
    }

    public Daemon daemon() {
        return daemon;
    }

    @Override
    public void close() {
        daemon.close();
        daemon.assertNoLeaks();
    }
}
