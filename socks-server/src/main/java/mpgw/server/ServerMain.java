package mpgw.server;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.PrintStream;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;
import mpgw.config.Addresses;
import mpgw.daemon.DaemonCommand;
import mpgw.daemon.DaemonStartException;
import mpgw.daemon.StartupSteps;
import mpgw.jni.MptcpSocketFactory;
import mpgw.metrics.MetricsEndpoint;
import mpgw.status.InterfaceLinks;
import mpgw.status.StatusMeters;
import mpgw.paths.PathWatcher;
import org.apache.logging.log4j.LogManager;

/**
 * {@code mpgw server --config FILE}: the SOCKS5 server on router B.
 *
 * <p>Exit status: 2 for a usage or config error (the message names the key and file; no stack trace), 1 when
 * it cannot start (a listen port in use, MPTCP required but refused, no permission). SIGTERM stops accepting
 * and lets open connections finish for {@code server.shutdown-grace}.
 */
public final class ServerMain {
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
        return DaemonCommand.run("server", "the SOCKS5 server over MPTCP (router B)", args, out, err,
                ServerSettings::load, settings -> {
                    Running running = start(settings);
                    return () -> running.stop(settings);
                });
    }

    /** A started server and, if configured, its metrics endpoint. */
    record Running(SocksServer server, Optional<MetricsEndpoint> metrics, Optional<PathWatcher> pathWatcher,
                   Optional<ProbeResponder> probe) {
        void stop(ServerSettings settings) {
            pathWatcher.ifPresent(PathWatcher::close);
            probe.ifPresent(ProbeResponder::close);
            server.stop(settings.shutdownGrace());
            metrics.ifPresent(MetricsEndpoint::close);
            LogManager.getLogger(ServerMain.class).info("socks-server stopped");
        }
    }

    static Running start(ServerSettings settings) throws DaemonStartException {
        MptcpSocketFactory sockets = new MptcpSocketFactory(settings.mptcp());
        StartupSteps.probeRequiredMptcp(sockets, "server.mptcp");
        PrometheusMeterRegistry registry = MetricsEndpoint.newRegistry();
        MicrometerServerEvents events = new MicrometerServerEvents(registry, sockets);
        SocksServer server = new SocksServer(settings, sockets, events);
        server.start();
        Optional<MetricsEndpoint> endpoint;
        Optional<ProbeResponder> probe;
        try {
            endpoint = StartupSteps.serveMetrics(settings.metricsListen(), registry, settings.status(),
                    StatusMeters.SERVER, new InterfaceLinks());
            probe = startProbe(settings, registry, settings.tls().enabled() ? server.tlsPeers() : null);
        } catch (DaemonStartException e) {
            server.close();
            throw e;
        }
        Optional<PathWatcher> watcher = PathWatcher.startOrWarn(settings.pathWatcher(), events::pathReannounced);
        ServerSettings.Tls tls = settings.tls();
        if (tls.enabled()) {
            tls.own().warnings().forEach(w -> LogManager.getLogger(ServerMain.class).warn("server.tls: {}", w));
        }
        LogManager.getLogger(ServerMain.class).info("socks-server up: listen {}, mptcp {}, auth {}, tls {}, metrics {}",
                server.boundAddresses().stream().map(Addresses::format).collect(Collectors.joining(", ")),
                settings.mptcp().name().toLowerCase(Locale.ROOT),
                settings.passwordAuth() ? "password (" + settings.users().size() + " users)" : "none",
                describe(tls), StartupSteps.describe(endpoint));
        return new Running(server, endpoint, watcher, probe);
    }

    private static Optional<ProbeResponder> startProbe(ServerSettings settings, PrometheusMeterRegistry registry,
                                                       TlsPeerAddresses tlsPeers) throws DaemonStartException {
        try {
            return ProbeResponder.start(settings.probe(), registry, tlsPeers);
        } catch (java.io.IOException e) {
            throw new DaemonStartException(e.getMessage(), e);
        }
    }

    private static String describe(ServerSettings.Tls tls) {
        if (!tls.enabled()) {
            return "off";
        }
        return "on (" + tls.provider().configName() + ", own " + tls.own().fingerprint() + ", " + tls.peers()
                .fingerprints().size() + " pinned peers, associate " + (tls.allowAssociate() ? "allowed" : "refused")
                + (tls.plainListen().isEmpty() ? "" : ", plain listeners " + tls.plainListen().stream()
                .map(Addresses::format).collect(Collectors.joining(", "))) + ")";
    }
}
