package mpgw.gateway;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Optional;
import java.util.stream.Collectors;
import mpgw.config.Addresses;
import mpgw.daemon.DaemonCommand;
import mpgw.daemon.DaemonStartException;
import mpgw.daemon.StartupSteps;
import mpgw.gateway.check.Check;
import mpgw.gateway.check.StartupChecks;
import mpgw.gateway.config.GatewaySettings;
import mpgw.gateway.metrics.MicrometerGatewayMetrics;
import mpgw.gateway.udp.UdpGateway;
import mpgw.jni.MptcpSocketFactory;
import mpgw.metrics.MetricsEndpoint;
import mpgw.paths.PathWatcher;
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
        return DaemonCommand.run("gateway", "the transparent multipath gateway (router A)", args, out, err,
                GatewaySettings::load, settings -> {
                    Running running = start(settings);
                    return () -> running.stop(settings);
                });
    }

    /** A started gateway: the TCP server, the UDP half and, if configured, the metrics endpoint and path watcher. */
    record Running(GatewayServer server, Optional<MetricsEndpoint> metrics, Optional<PathWatcher> pathWatcher,
                   UdpGateway udp) {
        void stop(GatewaySettings settings) {
            pathWatcher.ifPresent(PathWatcher::close);
            if (udp != null) {
                udp.close();
            }
            server.stop(settings.shutdownGrace());
            metrics.ifPresent(MetricsEndpoint::close);
            LogManager.getLogger(GatewayMain.class).info("gateway stopped");
        }
    }

    static Running start(GatewaySettings settings) throws DaemonStartException {
        Logger log = LogManager.getLogger(GatewayMain.class);
        MptcpSocketFactory sockets = new MptcpSocketFactory(settings.mptcp());
        StartupSteps.probeRequiredMptcp(sockets, "gateway.mptcp");
        PrometheusMeterRegistry registry = MetricsEndpoint.newRegistry();
        MicrometerGatewayMetrics metrics = new MicrometerGatewayMetrics(registry, sockets);
        Upstreams upstreams = Upstreams.from(settings, sockets, metrics);
        GatewayServer server = new GatewayServer(settings, upstreams);
        server.start();
        UdpGateway udp = null;
        Optional<MetricsEndpoint> endpoint;
        try {
            udp = UdpGateway.start(settings, upstreams.udp(), registry);
            endpoint = StartupSteps.serveMetrics(settings.metricsListen(), registry);
        } catch (DaemonStartException e) {
            server.close();
            if (udp != null) {
                udp.close();
            }
            throw e;
        }
        Optional<PathWatcher> watcher = PathWatcher.startOrWarn(settings.pathWatcher(), metrics::pathReannounced);
        for (Check problem : StartupChecks.failing(settings)) {
            log.warn("check: {} (see 'mpgw check')", problem.line());
        }
        log.info("gateway up: servers {}, mptcp {}, mark 0x{}, socks5 {}{}, metrics {}",
                settings.servers().stream().map(Addresses::format).collect(Collectors.joining(", ")),
                settings.mptcp().name().toLowerCase(java.util.Locale.ROOT), Integer.toHexString(settings.mark()),
                "pipelined " + settings.socks().pipelinedKey(),
                settings.socks().authenticates() ? " with user " + settings.socks().username() : "",
                StartupSteps.describe(endpoint));
        return new Running(server, endpoint, watcher, udp);
    }
}
