package mpgw.daemon;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Optional;
import mpgw.config.Addresses;
import mpgw.jni.MptcpMode;
import mpgw.jni.MptcpSocketFactory;
import mpgw.metrics.MetricsEndpoint;

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

    /** The metrics endpoint at {@code address}, if one is configured. */
    public static Optional<MetricsEndpoint> serveMetrics(Optional<InetSocketAddress> address,
                                                         PrometheusMeterRegistry registry) throws DaemonStartException {
        if (address.isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(MetricsEndpoint.start(address.get(), registry));
        } catch (IOException e) {
            throw new DaemonStartException("cannot serve metrics on " + Addresses.format(address.get()) + ": "
                    + e.getMessage(), e);
        }
    }

    /** "off" or the endpoint's URL, for the start-up log line. */
    public static String describe(Optional<MetricsEndpoint> endpoint) {
        return endpoint.map(e -> "http://" + Addresses.format(e.address()) + "/metrics").orElse("off");
    }
}
