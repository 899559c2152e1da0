package mpgw.gateway.config;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import mpgw.config.Cidr;
import mpgw.config.ConfigReader;

/**
 * The {@code gateway.udp} block (documented key by key in {@code reference.conf}): the TPROXY datagram listener,
 * how datagrams are carried to router B, and the session and reply-socket limits. Immutable, validated once at
 * startup; a bad value is a {@link mpgw.config.ConfigError} naming the key and file.
 *
 * @param servers  where the carrier connects; the gateway's own {@code servers} when {@code udp.servers} is empty
 * @param poolSize warm connections kept for new stream-mode sessions (the UDP half's own pool; 0 = none)
 */
public record UdpSettings(
        boolean enabled,
        InetSocketAddress listen,
        Mode mode,
        List<InetSocketAddress> servers,
        Duration idleTimeout,
        Duration oneShotIdleTimeout,
        int maxSessions,
        int maxDatagramSize,
        int receiveBuffer,
        int pendingLimit,
        int streamWriteBuffer,
        int poolSize,
        Duration replySocketIdle,
        int maxReplySockets,
        List<Cidr> denyDestinations) {

    /** How a session's datagrams reach router B. */
    public enum Mode {
        /** FWD UDP (command 0x05): framed inside one MPTCP stream per session. */
        STREAM,
        /** RFC 1928 UDP ASSOCIATE: control connection over MPTCP, datagrams as plain UDP to the relay. */
        ASSOCIATE
    }

    /**
     * @param udp            the {@code gateway.udp} block
     * @param timeouts       the {@code gateway.timeouts} block ({@code udp-idle}, {@code udp-one-shot-idle})
     * @param gatewayServers the gateway's {@code servers}
     */
    public static UdpSettings from(ConfigReader udp, ConfigReader timeouts, List<InetSocketAddress> gatewayServers) {
        List<InetSocketAddress> servers = udp.socketAddresses("servers");
        for (InetSocketAddress s : servers) {
            if (s.getPort() == 0 || s.getAddress().isAnyLocalAddress()) {
                throw udp.error("servers", "'" + s + "' is not an address to connect to");
            }
        }
        InetSocketAddress listen = udp.optionalSocketAddress("listen").orElse(null);
        if (listen == null || listen.getPort() == 0) {
            throw udp.error("listen", "needs an address with a port, e.g. \"[::]:12346\"");
        }
        return new UdpSettings(
                udp.bool("enabled"),
                listen,
                Mode.valueOf(udp.oneOf("mode", "stream", "associate").toUpperCase(Locale.ROOT)),
                servers.isEmpty() ? gatewayServers : servers,
                timeouts.duration("udp-idle", false),
                timeouts.duration("udp-one-shot-idle", false),
                udp.intIn("max-sessions", 1, 1 << 20),
                udp.intIn("max-datagram-size", 1, 65507),
                (int) udp.bytesIn("receive-buffer", 0, 256L << 20),
                udp.intIn("pending-limit", 1, 4096),
                (int) udp.bytesIn("stream-write-buffer", 64 * 1024, 64L << 20),
                udp.intIn("pool-size", 0, 4096),
                udp.duration("reply-socket-idle", false),
                udp.intIn("max-reply-sockets", 1, 1 << 16),
                udp.cidrs("destinations.deny"));
    }
}
