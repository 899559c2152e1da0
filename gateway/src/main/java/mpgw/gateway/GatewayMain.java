package mpgw.gateway;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Collectors;
import mpgw.config.Addresses;
import mpgw.config.ConfigError;
import mpgw.gateway.check.Check;
import mpgw.gateway.check.StartupChecks;
import mpgw.gateway.paths.PathWatcher;
import mpgw.gateway.udp.UdpGateway;
import mpgw.jni.MptcpMode;
import mpgw.jni.MptcpSocketFactory;
import mpgw.metrics.MetricsEndpoint;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * {@code mpgw gateway --config FILE}: the transparent gateway on router A.
 *
 * <p>Exit status: 2 for a usage or config error (the message names the key and file; no stack trace), 1 when it
 * cannot start (a listen port in use, MPTCP required but refused, no permission). SIGTERM stops accepting and
 * lets open flows finish for {@code gateway.shutdown-grace}.
 */
public final class GatewayMain {
    static final int EXIT_USAGE = 2;
    static final int EXIT_START = 1;
    private static final String USAGE = "usage: mpgw gateway --config FILE";

    private GatewayMain() {
    }

    public static void main(String[] args) {
        int status = run(args, System.out, System.err);
        if (status != 0) {
            System.exit(status);
        }
    }

    /** Starts the gateway and blocks until SIGTERM; returns an exit status when it cannot start. */
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
                err.println("gateway: " + (a.equals("--config") ? "--config needs a file" : "unknown option '" + a + "'"));
                err.println(USAGE);
                return EXIT_USAGE;
            }
        }
        if (config == null) {
            err.println("gateway: --config FILE is required");
            err.println(USAGE);
            return EXIT_USAGE;
        }
        GatewaySettings settings;
        try {
            settings = GatewaySettings.load(config);
        } catch (ConfigError e) {
            err.println("gateway: " + e.getMessage());
            return EXIT_USAGE;
        }
        try {
            Running running = start(settings);
            CountDownLatch stopped = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                running.stop(settings);
                stopped.countDown();
            }, "gateway-shutdown"));
            stopped.await();
            return 0;
        } catch (GatewayStartException e) {
            err.println("gateway: " + e.getMessage());
            return EXIT_START;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 0;
        }
    }

    /** A started gateway: the TCP server, the UDP half and, if configured, the metrics endpoint and path watcher. */
    record Running(GatewayServer server, MetricsEndpoint metrics, Optional<PathWatcher> pathWatcher,
                   UdpGateway udp) {
        void stop(GatewaySettings settings) {
            pathWatcher.ifPresent(PathWatcher::close);
            if (udp != null) {
                udp.close();
            }
            server.stop(settings.shutdownGrace());
            if (metrics != null) {
                metrics.close();
            }
            LogManager.getLogger(GatewayMain.class).info("gateway stopped");
        }
    }

    static Running start(GatewaySettings settings) throws GatewayStartException {
        Logger log = LogManager.getLogger(GatewayMain.class);
        MptcpSocketFactory sockets = new MptcpSocketFactory(settings.mptcp());
        if (settings.mptcp() == MptcpMode.REQUIRED) {
            // The probe socket is made outside an event loop: Netty's native library must be loaded first.
            io.netty.channel.epoll.Epoll.ensureAvailability();
            try {
                sockets.newStreamSocket(false).close();
            } catch (IOException e) {
                throw new GatewayStartException("upstream.mptcp = required, but " + e.getMessage(), e);
            }
        }
        PrometheusMeterRegistry registry = MetricsEndpoint.newRegistry();
        MicrometerGatewayMetrics metrics = new MicrometerGatewayMetrics(registry, sockets);
        GatewayServer server = new GatewayServer(settings, sockets, metrics);
        server.start();
        UdpGateway udp;
        try {
            udp = UdpGateway.start(settings, sockets, registry);
        } catch (GatewayStartException e) {
            server.close();
            throw e;
        }
        MetricsEndpoint endpoint = null;
        if (settings.metricsListen().isPresent()) {
            InetSocketAddress address = settings.metricsListen().get();
            try {
                endpoint = MetricsEndpoint.start(address, registry);
            } catch (IOException e) {
                server.close();
                if (udp != null) {
                    udp.close();
                }
                throw new GatewayStartException("cannot serve metrics on " + Addresses.format(address) + ": "
                        + e.getMessage(), e);
            }
        }
        Optional<PathWatcher> watcher;
        try {
            watcher = PathWatcher.start(settings.pathWatcher(), metrics::pathReannounced);
        } catch (IOException e) {
            // Traffic works without it; lost subflows then stay lost until the endpoint is re-added by hand.
            log.warn("path watcher not started: {} (is iproute2's 'ip' installed?)", e.getMessage());
            watcher = Optional.empty();
        }
        for (Check problem : StartupChecks.failing(settings)) {
            log.warn("check: {} (see 'mpgw check')", problem.line());
        }
        log.info("gateway up: servers {}, mptcp {}, mark 0x{}, socks5 {}{}, metrics {}",
                settings.servers().stream().map(Addresses::format).collect(Collectors.joining(", ")),
                settings.mptcp().name().toLowerCase(java.util.Locale.ROOT), Integer.toHexString(settings.mark()),
                settings.socks().pipelined() ? "pipelined" : "step by step",
                settings.socks().authenticates() ? " with user " + settings.socks().username() : "",
                endpoint == null ? "off" : "http://" + Addresses.format(endpoint.address()) + "/metrics");
        return new Running(server, endpoint, watcher, udp);
    }
}
