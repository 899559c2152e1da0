package mpgw.server;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import mpgw.config.Cidr;
import mpgw.config.ConfigReader;
import mpgw.paths.PathWatcherSettings;
import mpgw.jni.MptcpMode;
import mpgw.relay.RelaySettings;

/**
 * Everything the socks-server reads from its config, validated once at startup (keys and meanings in
 * {@code reference.conf}). Immutable.
 */
public record ServerSettings(
        List<InetSocketAddress> listen,
        MptcpMode mptcp,
        int eventLoopThreads,
        int fastOpenQueue,
        Map<String, String> users,
        List<Cidr> clientAllow,
        DestinationRules destinations,
        Limits limits,
        Timeouts timeouts,
        String dnsPrefer,
        List<InetSocketAddress> dnsServers,
        Optional<InetSocketAddress> metricsListen,
        Duration shutdownGrace,
        RelaySettings relay,
        PathWatcherSettings pathWatcher) {

    /** The config root in files and in {@code reference.conf}. */
    public static final String ROOT = "server";

    public record Limits(int maxConnections, int maxConnectionsPerClient) {
    }

    public record Timeouts(Duration handshake, Duration connect, Duration dns, Duration idle, Duration udpIdle) {
    }

    public record DestinationRules(List<Cidr> deny, boolean denyOwnAddresses, List<PortRange> denyPorts,
                                   List<PortRange> allowPorts) {
    }

    /** True when clients must authenticate with a username and password (RFC 1929). */
    public boolean passwordAuth() {
        return !users.isEmpty();
    }

    /** {@code file} over {@code reference.conf}; a {@link mpgw.config.ConfigError} names the bad key and file. */
    public static ServerSettings load(java.nio.file.Path file) {
        return from(mpgw.config.ConfigFiles.load(file, ROOT));
    }

    public static ServerSettings from(ConfigReader c) {
        List<InetSocketAddress> listen = c.socketAddresses("listen");
        if (listen.isEmpty()) {
            throw c.error("listen", "needs at least one address");
        }
        MptcpMode mptcp = MptcpMode.parse(c.oneOf("mptcp", "required", "preferred", "off"));
        int threads = c.intIn("event-loop-threads", 0, 1024);
        int fastOpen = c.intIn("fast-open", 0, 65535);

        ConfigReader auth = c.sub("auth");
        String method = auth.oneOf("method", "none", "password");
        Map<String, String> users = new HashMap<>();
        for (String[] u : auth.objects("users", ServerSettings::user)) {
            if (users.put(u[0], u[1]) != null) {
                throw auth.error("users", "user '" + u[0] + "' is listed twice");
            }
        }
        if (method.equals("password") && users.isEmpty()) {
            throw auth.error("users", "method = password needs at least one user");
        }
        if (method.equals("none")) {
            users.clear();
        }

        ConfigReader dest = c.sub("destinations");
        DestinationRules rules = new DestinationRules(dest.cidrs("deny"), dest.bool("deny-own-addresses"),
                dest.parseEach("deny-ports", PortRange::parse), dest.parseEach("allow-ports", PortRange::parse));

        ConfigReader lim = c.sub("limits");
        Limits limits = new Limits(lim.intIn("max-connections", 1, 10_000_000),
                lim.intIn("max-connections-per-client", 1, 10_000_000));

        ConfigReader t = c.sub("timeouts");
        Timeouts timeouts = new Timeouts(t.duration("handshake", false), t.duration("connect", false),
                t.duration("dns", false), t.duration("idle", true), t.duration("udp-idle", false));

        ConfigReader dns = c.sub("dns");
        return new ServerSettings(listen, mptcp, threads, fastOpen, Map.copyOf(users), c.cidrs("clients.allow"), rules,
                limits, timeouts, dns.oneOf("prefer", "ipv4-preferred", "ipv6-preferred", "ipv4-only", "ipv6-only"),
                dns.socketAddresses("servers"), c.sub("metrics").optionalSocketAddress("listen"),
                c.duration("shutdown-grace", true), RelaySettings.from(c.sub("relay")),
                PathWatcherSettings.from(c.sub("path-watcher")));
    }

    private static String[] user(ConfigReader u) {
        String name = u.string("user");
        String password = u.string("password");
        checkCredential(u, "user", name);
        checkCredential(u, "password", password);
        return new String[] {name, password};
    }

    private static void checkCredential(ConfigReader u, String key, String value) {
        if (value.isEmpty() || value.length() > 255 || !StandardCharsets.US_ASCII.newEncoder().canEncode(value)) {
            throw u.error(key, "must be 1-255 ASCII characters");
        }
    }
}
