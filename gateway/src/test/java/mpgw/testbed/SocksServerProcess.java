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
