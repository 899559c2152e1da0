package mpgw.server;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Collectors;
import mpgw.config.Addresses;
import mpgw.config.ConfigError;
import mpgw.jni.MptcpMode;
import mpgw.jni.MptcpSocketFactory;
import mpgw.metrics.MetricsEndpoint;
import org.apache.logging.log4j.LogManager;

/**
 * {@code mpgw server --config FILE}: the SOCKS5 server on router B.
 *
 * <p>Exit status: 2 for a usage or config error (the message names the key and file; no stack trace), 1 when
 * it cannot start (a listen port in use, MPTCP required but refused, no permission). SIGTERM stops accepting
 * and lets open connections finish for {@code server.shutdown-grace-period}.
 */
public final class ServerMain {
    static final int EXIT_USAGE = 2;
    static final int EXIT_START = 1;
    private static final String USAGE = "usage: mpgw server --config FILE";

    private ServerMain() {
    }

    public static void main(String[] args) {
        int status = run(args, System.out, System.err);
        if (status != 0) {
            System.exit(status);
        }
    }

    /** Starts the server and blocks until SIGTERM; returns an exit status when it cannot start. */
    static int run(String[] args, PrintStream out, PrintStream err) {
        Path config = null;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("-h") || a.equals("--help")) {
                out.println(USAGE);
                return 0;
            } else if (a.equals("--config") && i + 1 < args.length) {
                config = Path.of(args[++i]);
            } else if (a.startsWith("--config=")) {
                config = Path.of(a.substring("--config=".length()));
            } else {
                err.println("server: " + (a.equals("--config") ? "--config needs a file" : "unknown option '" + a + "'"));
                err.println(USAGE);
                return EXIT_USAGE;
            }
        }
        if (config == null) {
            err.println("server: --config FILE is required");
            err.println(USAGE);
            return EXIT_USAGE;
        }
        ServerSettings settings;
        try {
            settings = ServerSettings.load(config);
        } catch (ConfigError e) {
            err.println("server: " + e.getMessage());
            return EXIT_USAGE;
        }
        try {
            Running running = start(settings);
            CountDownLatch stopped = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                running.stop(settings);
                stopped.countDown();
            }, "server-shutdown"));
            stopped.await();
            return 0;
        } catch (ServerStartException e) {
            err.println("server: " + e.getMessage());
            return EXIT_START;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 0;
        }
    }

    /** A started server and, if configured, its metrics endpoint. */
    record Running(SocksServer server, MetricsEndpoint metrics) {
        void stop(ServerSettings settings) {
            server.stop(settings.shutdownGracePeriod());
            if (metrics != null) {
                metrics.close();
            }
            LogManager.getLogger(ServerMain.class).info("socks-server stopped");
        }
    }

    static Running start(ServerSettings settings) throws ServerStartException {
        MptcpSocketFactory sockets = new MptcpSocketFactory(settings.mptcp());
        if (settings.mptcp() == MptcpMode.REQUIRED) {
            try {
                sockets.newStreamSocket(false).close();
            } catch (IOException e) {
                throw new ServerStartException("server.mptcp = required, but " + e.getMessage(), e);
            }
        }
        PrometheusMeterRegistry registry = MetricsEndpoint.newRegistry();
        SocksServer server = new SocksServer(settings, sockets, new MicrometerServerEvents(registry, sockets));
        server.start();
        MetricsEndpoint endpoint = null;
        if (settings.metricsListen().isPresent()) {
            InetSocketAddress address = settings.metricsListen().get();
            try {
                endpoint = MetricsEndpoint.start(address, registry);
            } catch (IOException e) {
                server.close();
                throw new ServerStartException("cannot serve metrics on " + Addresses.format(address) + ": "
                        + e.getMessage(), e);
            }
        }
        LogManager.getLogger(ServerMain.class).info("socks-server up: listen {}, mptcp {}, auth {}, metrics {}",
                server.boundAddresses().stream().map(Addresses::format).collect(Collectors.joining(", ")),
                settings.mptcp().name().toLowerCase(Locale.ROOT),
                settings.passwordAuth() ? "password (" + settings.users().size() + " users)" : "none",
                endpoint == null ? "off" : "http://" + Addresses.format(endpoint.address()) + "/metrics");
        return new Running(server, endpoint);
    }
}
