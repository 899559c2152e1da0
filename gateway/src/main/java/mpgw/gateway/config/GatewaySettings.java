package mpgw.gateway.config;

import mpgw.gateway.links.LinksSettings;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import mpgw.config.ConfigFiles;
import mpgw.config.ConfigReader;
import mpgw.gateway.config.UdpSettings;
import mpgw.gateway.upstream.Socks5ClientSettings;
import mpgw.gateway.upstream.pool.PoolSettings;
import mpgw.jni.MptcpMode;
import mpgw.paths.PathWatcherSettings;
import mpgw.status.StatusSettings;
import mpgw.relay.RelaySettings;

/**
 * The gateway's settings, read once at startup from the {@code gateway} block of its config file over
 * {@code reference.conf} (which documents every key). Immutable; every value is validated here, so a bad value
 * fails startup with a {@link mpgw.config.ConfigError} naming the key and file instead of failing a flow.
 */
public record GatewaySettings(
        List<InetSocketAddress> listen,
        InterceptMode mode,
        List<InetSocketAddress> servers,
        Socks5ClientSettings socks,
        MptcpMode mptcp,
        int mark,
        Duration connectTimeout,
        Duration connectRaceDelay,
        Duration badServerMemory,
        boolean fastOpen,
        Duration fastOpenWait,
        PoolSettings pool,
        Duration idleTimeout,
        Duration shutdownGrace,
        RelaySettings relay,
        Optional<InetSocketAddress> metricsListen,
        Duration pathSampleInterval,
        PathWatcherSettings pathWatcher,
        UdpSettings udp,
        Limits limits,
        UpstreamTlsSettings tls,
        LinksSettings links,
        StatusSettings status) {

    /**
     * {@code limits.*}: TCP flows open at once, in total and per client address; UDP sessions per client address,
     * and bytes of datagrams queued in the gateway, in total and per client address; the links' rate shared
     * between the clients sending UDP (0 = no share).
     */
    public record Limits(int maxFlows, int maxFlowsPerClient, int udpSessionsPerClient, long udpQueuedBytes,
                         long udpQueuedBytesPerClient, long linkBytesPerSecond) {
        static Limits from(ConfigReader limits) {
            long queued = limits.bytesIn("udp-queued-bytes", 64 * 1024, 1L << 40);
            long perClient = limits.bytesIn("udp-queued-bytes-per-client", 64 * 1024, 1L << 40);
            if (perClient > queued) {
                throw limits.error("udp-queued-bytes-per-client", "must be at most udp-queued-bytes (" + queued
                        + " bytes), got " + perClient);
            }
            return new Limits(limits.intIn("max-flows", 1, 10_000_000),
                    limits.intIn("max-flows-per-client", 1, 10_000_000),
                    limits.intIn("udp-sessions-per-client", 1, 1 << 20), queued, perClient,
                    limits.bytesIn("link-bytes-per-second", 0, 1L << 40));
        }
    }

    /** The config root in files and in {@code reference.conf}. */
    public static final String ROOT = "gateway";
    private static final Duration MAX_FAST_OPEN_WAIT = Duration.ofSeconds(1);

    public static GatewaySettings load(Path file) {
        return from(ConfigFiles.load(file, ROOT));
    }

    public static GatewaySettings from(ConfigReader c) {
        List<InetSocketAddress> listen = c.socketAddresses("listen");
        if (listen.isEmpty()) {
            throw c.error("listen", "needs at least one address");
        }
        List<InetSocketAddress> servers = c.socketAddresses("servers");
        if (servers.isEmpty()) {
            throw c.error("servers", "needs at least one socks-server address (addr:port)");
        }
        for (InetSocketAddress s : servers) {
            if (s.getPort() == 0 || s.getAddress().isAnyLocalAddress()) {
                throw c.error("servers", "'" + s + "' is not an address to connect to");
            }
        }
        ConfigReader socks = c.sub("socks");
        String username = socks.string("username");
        long earlyData = socks.bytesIn("early-data-limit", 1, 16 << 20);
        ConfigReader upstream = c.sub("upstream");
        ConfigReader timeouts = c.sub("timeouts");
        ConfigReader metrics = c.sub("metrics");
        UdpSettings udp = UdpSettings.from(c.sub("udp"), timeouts, servers);
        return new GatewaySettings(
                listen,
                InterceptMode.valueOf(c.oneOf("mode", "redirect", "tproxy").toUpperCase(java.util.Locale.ROOT)),
                servers,
                socksSettings(socks, username, timeouts, (int) earlyData),
                MptcpMode.parse(c.oneOf("mptcp", "required", "preferred", "off")),
                mark(upstream),
                timeouts.duration("connect", false),
                upstream.duration("connect-race-delay", true),
                upstream.duration("bad-server-memory", true),
                upstream.bool("fast-open"),
                fastOpenWait(upstream),
                PoolSettings.from(upstream.sub("pool")),
                timeouts.duration("idle", true),
                c.duration("shutdown-grace", true),
                RelaySettings.from(c.sub("relay")),
                metrics.optionalSocketAddress("listen"),
                metrics.duration("path-sample-interval", false),
                PathWatcherSettings.from(c.sub("path-watcher")),
                udp,
                Limits.from(c.sub("limits")),
                UpstreamTlsSettings.from(upstream.sub("tls"), timeouts.duration("handshake", false), udp),
                LinksSettings.from(c),
                StatusSettings.from(metrics));
    }

    /** {@code socks.*}; {@code pipelined} is auto, on or off (true/false/yes/no also read as on/off). */
    private static Socks5ClientSettings socksSettings(ConfigReader socks, String username, ConfigReader timeouts,
                                                      int earlyData) {
        String pipelined = socks.oneOf("pipelined", "auto", "on", "off", "true", "false", "yes", "no");
        return new Socks5ClientSettings(username.isEmpty() ? null : username, socks.string("password"),
                !List.of("off", "false", "no").contains(pipelined), timeouts.duration("handshake", false), earlyData,
                pipelined.equals("auto"), socks.duration("pipelining-memory", true));
    }

    /** Every flow of a server-speaks-first protocol pays the whole wait, so it stays short. */
    private static Duration fastOpenWait(ConfigReader c) {
        Duration d = c.duration("fast-open-wait", true);
        if (d.compareTo(MAX_FAST_OPEN_WAIT) > 0) {
            throw c.error("fast-open-wait", "must be at most " + MAX_FAST_OPEN_WAIT.toMillis()
                    + "ms (server-speaks-first flows such as SSH wait that long for nothing), got " + d.toMillis()
                    + "ms");
        }
        return d;
    }

    /** SO_MARK: a number, or a string in decimal or {@code 0x} hex (HOCON has no hex numbers). */
    private static int mark(ConfigReader c) {
        String v = c.string("mark");
        try {
            long mark = Long.decode(v);
            if (mark < 0 || mark > 0xffffffffL) {
                throw new NumberFormatException();
            }
            return (int) mark;
        } catch (NumberFormatException e) {
            throw c.error("mark", "must be a number 0..0xffffffff such as 42 or \"0x2a\", got '" + v + "'");
        }
    }
}
