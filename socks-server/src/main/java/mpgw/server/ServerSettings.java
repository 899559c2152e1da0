package mpgw.server;

import mpgw.config.Addresses;
import mpgw.tls.TlsSection;
import mpgw.tls.KeyExchange;
import mpgw.tls.KeyMaterial;
import mpgw.tls.PinnedPeers;
import mpgw.tls.TlsProvider;

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
import mpgw.status.StatusSettings;
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
        PathWatcherSettings pathWatcher,
        Tls tls,
        ProbeResponder.Settings probe,
        StatusSettings status) {

    /** The config root in files and in {@code reference.conf}. */
    public static final String ROOT = "server";

    public record Limits(int maxConnections, int maxConnectionsPerClient) {
    }

    public record Timeouts(Duration handshake, Duration connect, Duration dns, Duration idle, Duration udpIdle) {
    }

    /**
     * {@code server.tls}: off, or TLS 1.3 with a pinned client certificate on every {@code listen} address; the
     * {@code plain-listen} addresses serve plain SOCKS5 beside them.
     *
     * @param own              this router's key and certificate (loaded at startup), null when off
     * @param peers            the accepted client fingerprints, null when off
     * @param handshakeTimeout the TLS handshake's own limit, within {@code timeouts.handshake}
     * @param allowAssociate   whether UDP ASSOCIATE is served on a TLS listener (its datagrams are never encrypted)
     * @param plainListen      listeners without TLS beside the TLS ones
     */
    public record Tls(boolean enabled, KeyMaterial own, PinnedPeers peers, TlsProvider provider,
                      KeyExchange keyExchange, Duration handshakeTimeout, boolean allowAssociate,
                      List<InetSocketAddress> plainListen) {
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
        Tls tls = tls(c.sub("tls"), timeouts.handshake(), listen);
        return new ServerSettings(listen, mptcp, threads, fastOpen, Map.copyOf(users), c.cidrs("clients.allow"), rules,
                limits, timeouts, dns.oneOf("prefer", "ipv4-preferred", "ipv6-preferred", "ipv4-only", "ipv6-only"),
                dns.socketAddresses("servers"), c.sub("metrics").optionalSocketAddress("listen"),
                c.duration("shutdown-grace", true), RelaySettings.from(c.sub("relay")),
                PathWatcherSettings.from(c.sub("path-watcher")), tls,
                ProbeResponder.Settings.from(c.sub("probe"), c.cidrs("clients.allow")),
                StatusSettings.from(c.sub("metrics")));
    }

    /** Reads {@code server.tls} and, when on, loads its key files (a {@link mpgw.config.ConfigError} names them). */
    private static Tls tls(ConfigReader t, Duration socksHandshake, List<InetSocketAddress> listen) {
        TlsSection section = TlsSection.read(t, socksHandshake);
        boolean allowAssociate = t.bool("allow-associate");
        List<InetSocketAddress> plainListen = t.socketAddresses("plain-listen");
        for (InetSocketAddress a : plainListen) {
            if (a.getPort() != 0 && listen.contains(a)) {
                throw t.error("plain-listen", "entry '" + Addresses.format(a)
                        + "' is also in server.listen; a port is either TLS or plain");
            }
        }
        if (!section.enabled()) {
            return new Tls(false, null, null, section.provider(), section.keyExchange(), section.handshakeTimeout(),
                    true, plainListen);
        }
        TlsSection.Loaded loaded = section.load("server.tls.peers");
        return new Tls(true, loaded.own(), loaded.peers(), section.provider(), section.keyExchange(),
                section.handshakeTimeout(), allowAssociate, plainListen);
    }

    /** Every listener: the {@code listen} ones (TLS when on) first, then {@code tls.plain-listen}. */
    public List<InetSocketAddress> allListeners() {
        List<InetSocketAddress> all = new java.util.ArrayList<>(listen);
        all.addAll(tls.plainListen());
        return List.copyOf(all);
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
