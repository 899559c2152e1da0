package mpgw.testbed;

import java.io.IOException;
import java.nio.file.Path;

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
        return new SocksServerProcess(Daemon.startConfigured(ns, "socks-server", "mpgw.server.ServerMain", hocon,
                workDir, "socks-server up"));
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
