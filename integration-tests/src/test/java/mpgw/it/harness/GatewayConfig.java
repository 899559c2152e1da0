package mpgw.it.harness;

import java.util.List;
import java.util.stream.Collectors;

/**
 * The gateway config file a test hands to {@link Topology#startGateway}: router A's listener on
 * {@link Topology#GATEWAY_PORT} in redirect mode, the socks peer's address on every link, MPTCP required, plus
 * any extra HOCON lines a test adds (they override the lines above, as later keys do in HOCON).
 */
public final class GatewayConfig {

    /** The gateway's Prometheus endpoint on gw's loopback. */
    public static final int METRICS_PORT = 9464;

    private final List<String> servers;
    private final String extra;
    private final String udpMode;

    private GatewayConfig(List<String> servers, String extra, String udpMode) {
        this.servers = List.copyOf(servers);
        this.extra = extra;
        this.udpMode = udpMode;
    }

    /** The socks peer on port {@link Topology#SOCKS_PORT} of each address; UDP is not intercepted. */
    public static GatewayConfig forServers(List<String> addresses) {
        return new GatewayConfig(addresses, "", null);
    }

    /** The same config with more HOCON lines inside {@code gateway { }}. */
    public GatewayConfig with(String hoconLines) {
        return new GatewayConfig(servers, extra + hoconLines + "\n", udpMode);
    }

    /**
     * The same config with UDP intercepted: the TPROXY listener on {@link Topology#TPROXY_PORT} carrying
     * datagrams in {@code mode} ({@code stream} or {@code associate}) to the same socks peers.
     */
    public GatewayConfig withUdp(String mode) {
        return new GatewayConfig(servers, extra, mode);
    }

    /** Whether {@link Topology#startGateway} must install the UDP TPROXY rules for this config. */
    public boolean interceptsUdp() {
        return udpMode != null;
    }

    public String render() {
        String list = servers.stream()
                .map(a -> "\"" + a + ":" + Topology.SOCKS_PORT + "\"")
                .collect(Collectors.joining(", "));
        return "gateway {\n"
                + "  listen = [\"0.0.0.0:" + Topology.GATEWAY_PORT + "\"]\n"
                + "  mode = redirect\n"
                + "  servers = [" + list + "]\n"
                + "  mptcp = required\n"
                + "  metrics.listen = \"127.0.0.1:" + METRICS_PORT + "\"\n"
                // Short flows of a test get their per-path bytes sampled.
                + "  metrics.path-sample-interval = 1s\n"
                + (udpMode == null ? "" : "  udp {\n    enabled = on\n"
                        // IPv4 only: the containers' networks have no IPv6.
                        + "    listen = \"0.0.0.0:" + Topology.TPROXY_PORT + "\"\n"
                        + "    mode = " + udpMode + "\n  }\n")
                + extra
                + "}";
    }
}
