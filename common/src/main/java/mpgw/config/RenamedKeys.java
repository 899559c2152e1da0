package mpgw.config;

import com.typesafe.config.Config;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Keys that were renamed so both daemons use one word for one idea ({@code timeouts.idle}, {@code metrics.listen},
 * {@code shutdown-grace}, {@code mptcp}), old full path to new. mpgw has not been released, so there are no aliases:
 * a file that still sets an old key fails to load with an error naming the file, the line and the new key,
 * e.g. {@code gateway.conf:12: gateway.idle-timeout was renamed to gateway.timeouts.idle}.
 *
 * <p>This is the only list of renamed keys; both daemons' config reading goes through {@link ConfigFiles}, which
 * checks it before it rejects unknown keys. Stateless.
 */
final class RenamedKeys {
    private static final Map<String, String> RENAMED = new LinkedHashMap<>();

    static {
        RENAMED.put("server.metrics-listen", "server.metrics.listen");
        RENAMED.put("server.shutdown-grace-period", "server.shutdown-grace");
        RENAMED.put("gateway.idle-timeout", "gateway.timeouts.idle");
        RENAMED.put("gateway.socks.handshake-timeout", "gateway.timeouts.handshake");
        RENAMED.put("gateway.upstream.connect-timeout", "gateway.timeouts.connect");
        RENAMED.put("gateway.upstream.mptcp", "gateway.mptcp");
        RENAMED.put("gateway.udp.idle-timeout", "gateway.timeouts.udp-idle");
        RENAMED.put("gateway.udp.one-shot-idle-timeout", "gateway.timeouts.udp-one-shot-idle");
        RENAMED.put("gateway.udp.deny-destinations", "gateway.udp.destinations.deny");
    }

    private RenamedKeys() {
    }

    /** Fails with a {@link ConfigError} when {@code user} (keys with their root) sets a renamed key. */
    static void reject(Config user, String file) {
        for (Map.Entry<String, String> e : RENAMED.entrySet()) {
            if (user.hasPathOrNull(e.getKey())) {
                int line = user.getValue(e.getKey()).origin().lineNumber();
                throw new ConfigError(file + (line > 0 ? ":" + line : "") + ": " + e.getKey() + " was renamed to "
                        + e.getValue());
            }
        }
    }
}
