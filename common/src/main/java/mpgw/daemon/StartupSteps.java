package mpgw.daemon;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Optional;
import mpgw.config.Addresses;
import mpgw.jni.MptcpMode;
import mpgw.jni.MptcpSocketFactory;
import mpgw.metrics.MetricsEndpoint;
import mpgw.status.LinkSource;
import mpgw.status.StatusMeters;
import mpgw.status.StatusPage;
import mpgw.status.StatusSettings;

/** Start-up steps both daemons take, each failing with a message that names its config key. */
public final class StartupSteps {
    private StartupSteps() {
    }

    /**
     * With {@code mptcp = required}, makes one MPTCP socket now, so a kernel without MPTCP stops the daemon at start
     * instead of failing every connection later.
     */
    public static void probeRequiredMptcp(MptcpSocketFactory sockets, String key) throws DaemonStartException {
        if (sockets.mode() != MptcpMode.REQUIRED) {
            return;
        }
        try {
            sockets.newStreamSocket(false).close();
        } catch (IOException e) {
            throw new DaemonStartException(key + " = required, but " + e.getMessage(), e);
        }
    }

    /**
     * The metrics endpoint at {@code address}, if one is configured, with the status page beside it: its figures
     * from {@code meters}, its links from {@code links} (sampled each second from now on).
     */
    public static Optional<MetricsEndpoint> serveMetrics(Optional<InetSocketAddress> address,
                                                         PrometheusMeterRegistry registry, StatusSettings status,
                                                         StatusMeters meters, LinkSource links)
            throws DaemonStartException {
        if (address.isEmpty()) {
            return Optional.empty();
        }
        StatusPage page = StatusPage.start(registry, meters, links);
        try {
            return Optional.of(MetricsEndpoint.start(address.get(), registry, page, status));
        } catch (IOException e) {
            page.close();
            throw new DaemonStartException("cannot serve metrics on " + Addresses.format(address.get()) + ": "
                    + e.getMessage(), e);
        }
    }

    /** "off" or the endpoint's URL, for the start-up log line. */
    public static String describe(Optional<MetricsEndpoint> endpoint) {
        return endpoint.map(e -> "http://" + Addresses.format(e.address()) + "/metrics, status page http://"
                + Addresses.format(e.address()) + "/").orElse("off");
    }
}
