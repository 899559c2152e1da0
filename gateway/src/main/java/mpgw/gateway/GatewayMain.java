package mpgw.gateway;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import mpgw.config.Addresses;
import mpgw.daemon.DaemonCommand;
import mpgw.daemon.DaemonStartException;
import mpgw.daemon.StartupSteps;
import mpgw.gateway.check.Check;
import mpgw.gateway.check.StartupChecks;
import mpgw.gateway.config.GatewaySettings;
import mpgw.gateway.links.Links;
import mpgw.gateway.metrics.MicrometerGatewayMetrics;
import mpgw.gateway.metrics.PathLinks;
import mpgw.gateway.udp.UdpGateway;
import mpgw.jni.MptcpSocketFactory;
import mpgw.metrics.MetricsEndpoint;
import mpgw.paths.PathWatcher;
import mpgw.status.StatusMeters;
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
                   UdpGateway udp, Optional<Links> links) {
        void stop(GatewaySettings settings) {
            pathWatcher.ifPresent(PathWatcher::close);
            if (udp != null) {
                udp.close();
            }
            server.stop(settings.shutdownGrace());
            links.ifPresent(Links::close);
            metrics.ifPresent(MetricsEndpoint::close);
            LogManager.getLogger(GatewayMain.class).info("gateway stopped");
        }
    }

    /** {@code gateway.links}: an unreadable quota state file stops the start (its counts would be lost). */
    private static Optional<Links> startLinks(GatewaySettings settings, PrometheusMeterRegistry registry)
            throws DaemonStartException {
        try {
            List<Integer> ports = new ArrayList<>();
            settings.servers().forEach(s -> ports.add(s.getPort()));
            settings.udp().servers().forEach(s -> ports.add(s.getPort()));
            return Links.start(settings.links(), ports, registry);
        } catch (IOException e) {
            throw new DaemonStartException("gateway.links: " + e.getMessage(), e);
        }
    }

    static Running start(GatewaySettings settings) throws DaemonStartException {
        Logger log = LogManager.getLogger(GatewayMain.class);
        MptcpSocketFactory sockets = new MptcpSocketFactory(settings.mptcp());
        StartupSteps.probeRequiredMptcp(sockets, "gateway.mptcp");
        PrometheusMeterRegistry registry = MetricsEndpoint.newRegistry();
        MicrometerGatewayMetrics metrics = new MicrometerGatewayMetrics(registry, sockets);
        // Roles first, so the first flows already follow them.
        Optional<Links> links = startLinks(settings, registry);
        Upstreams upstreams;
        try {
            upstreams = Upstreams.from(settings, sockets, metrics);
        } catch (javax.net.ssl.SSLException | RuntimeException e) {
            throw new DaemonStartException("gateway.upstream.tls: cannot build the TLS context: " + e.getMessage(), e);
        }
        links.ifPresent(l -> l.countProbesWhen(upstreams::probesAnswerable));
        if (settings.tls().enabled()) {
            settings.tls().own().warnings().forEach(w -> log.warn("gateway.upstream.tls: {}", w));
        }
        GatewayServer server = new GatewayServer(settings, upstreams);
        server.start();
        UdpGateway udp = null;
        Optional<MetricsEndpoint> endpoint;
        try {
            udp = UdpGateway.start(settings, upstreams.udp(), upstreams::udpWarm, registry, server.flows());
            endpoint = StartupSteps.serveMetrics(settings.metricsListen(), registry, settings.status(),
                    StatusMeters.GATEWAY, new PathLinks(registry));
        } catch (DaemonStartException e) {
            links.ifPresent(Links::close);
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
        log.info("gateway up: servers {}, mptcp {}, mark 0x{}, socks5 {}{}, tls {}, metrics {}",
                settings.servers().stream().map(Addresses::format).collect(Collectors.joining(", ")),
                settings.mptcp().name().toLowerCase(java.util.Locale.ROOT), Integer.toHexString(settings.mark()),
                "pipelined " + settings.socks().pipelinedKey(),
                settings.socks().authenticates() ? " with user " + settings.socks().username() : "",
                describe(settings.tls()), StartupSteps.describe(endpoint));
        return new Running(server, endpoint, watcher, udp, links);
    }

    private static String describe(mpgw.gateway.config.UpstreamTlsSettings tls) {
        if (!tls.enabled()) {
            return "off";
        }
        return "on (" + tls.provider().configName() + ", own " + tls.own().fingerprint() + ", "
                + tls.peers().fingerprints().size() + " pinned servers)";
    }
}
