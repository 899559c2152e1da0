package mpgw.gateway.check;

import java.util.List;
import mpgw.gateway.config.GatewaySettings;

/**
 * The host checks of {@code mpgw check} that need no network (MPTCP enabled, path-manager limits and endpoints,
 * interception rules, fast-open sysctl), for the gateway to log the failing ones as warnings when it starts.
 */
public final class StartupChecks {
    private StartupChecks() {
    }

    /** The checks that failed; empty when the host looks right. */
    public static List<Check> failing(GatewaySettings settings) {
        int paths = Math.max(2, settings.servers().size());
        return List.of(HostChecks.mptcpEnabled(), HostChecks.pathManager(paths), HostChecks.rules(settings),
                        KernelChecks.fastOpen(settings))
                .stream().filter(c -> !c.ok()).toList();
    }
}
