package mpgw.it.harness;

import com.github.dockerjava.api.model.Network.Ipam;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.testcontainers.containers.Network;
import org.testcontainers.lifecycle.Startables;

/**
 * The whole path in containers: two routers joined by N shaped links, a client behind router A and a
 * destination behind router B.
 *
 * <pre>
 *   client --lan-- gw (router A) ==wan1..N, tbf-shaped both ways== srv (router B) --out-- dst
 *   curl, iperf3    mpgw gateway + mpgw-rules                        mpgw server or Dante   HTTP, iperf3
 * </pre>
 *
 * <p>Every network is {@code --internal}: the containers reach each other and nothing else. The client's
 * default route is gw, so its TCP to dst is intercepted there (nat REDIRECT, {@code iptables/mpgw-rules}); gw
 * reaches dst only through the socks peer on srv. srv announces its wan2..N addresses as MPTCP {@code signal}
 * endpoints and gw accepts them ({@code iptables/mpgw-endpoints}), one endpoint style as the shared notes advise.
 *
 * <p>dst serves {@code /srv/blob} ({@value #BLOB_MIB} MiB of random bytes) over HTTP on {@value #HTTP_PORT},
 * runs an iperf3 server on {@value #IPERF_PORT} and dnsmasq on port 53 with static records only: {@value #DNS_NAME}
 * (and every name below it) is {@value #DNS_ANSWER}, and {@value #BIG_TXT_NAME} has {@value #BIG_TXT_RECORDS} TXT
 * records of 250 bytes, an answer of about 2 KiB that only EDNS carries over UDP. A {@link GatewayConfig} with
 * {@link GatewayConfig#withUdp UDP} gets the TPROXY rules too, and gw then drops forwarded UDP, so a datagram
 * from the client reaches dst only through the gateway.
 *
 * <p>Not thread-safe; one instance per test class ({@code @BeforeAll}/{@code @AfterAll}).
 */
public final class Topology implements AutoCloseable {

    public static final int HTTP_PORT = 8080;
    public static final int IPERF_PORT = 5201;
    public static final int SOCKS_PORT = 1080;
    public static final int GATEWAY_PORT = 12345;
    public static final int TPROXY_PORT = 12346;
    public static final String DNS_NAME = "dns.test";
    public static final String DNS_ANSWER = "192.0.2.53";
    public static final String BIG_TXT_NAME = "big.test";
    public static final int BIG_TXT_RECORDS = 8;
    public static final int BLOB_MIB = 16;

    private final List<Network> networks = new ArrayList<>();
    private final List<Node> nodes = new ArrayList<>();
    public final Network lan;
    public final List<Network> wans = new ArrayList<>();
    public final Network out;
    public final Node client;
    public final Node gw;
    public final Node srv;
    public final Node dst;
    private final String rate;

    /**
     * Builds and starts everything but the daemons: networks, containers, routes, tbf on both ends of each
     * link, MPTCP endpoints and limits, dst's services.
     *
     * @param links number of gw-srv links (1-4)
     * @param rate  tbf rate of every link, in tc units ("20mbit")
     */
    public Topology(int links, String rate) {
        if (links < 1 || links > 4) {
            throw new IllegalArgumentException("links must be 1-4: " + links);
        }
        this.rate = rate;
        try {
            lan = network("172.30.70.0/24");
            for (int i = 1; i <= links; i++) {
                wans.add(network("172.30." + i + ".0/24"));
            }
            out = network("172.30.80.0/24");
            client = node(new Node("client", lan));
            gw = node(new Node("gw", lan));
            srv = node(new Node("srv", wans.get(0)));
            dst = node(new Node("dst", out));
            Startables.deepStart(nodes).join();
            for (Network wan : wans) {
                gw.attach(wan);
            }
            for (Network wan : wans.subList(1, wans.size())) {
                srv.attach(wan);
            }
            srv.attach(out);
            routes();
            shape();
            endpoints();
            destinationServices();
        } catch (RuntimeException | Error e) {
            close();
            throw e;
        }
    }

    private Network network(String subnet) {
        Network n = Network.builder()
                .createNetworkCmdModifier(cmd -> cmd.withInternal(true)
                        .withIpam(new Ipam().withConfig(new Ipam.Config().withSubnet(subnet))))
                .build();
        networks.add(n);
        return n;
    }

    private Node node(Node n) {
        nodes.add(n);
        return n;
    }

    private void routes() {
        client.sh("ip route replace default via " + gw.ipOn(lan));
    }

    private void shape() {
        for (int i = 1; i <= wans.size(); i++) {
            for (Node router : List.of(gw, srv)) {
                router.sh("tc qdisc replace dev " + router.interfaceOn(wan(i)) + " root tbf rate " + rate
                        + " burst 32kb latency 50ms");
            }
        }
    }

    private void endpoints() {
        int limit = Math.min(8, wans.size() + 1);
        String extraWans = Stream.iterate(2, i -> i <= wans.size(), i -> i + 1)
                .map(i -> " --wan " + srv.interfaceOn(wan(i)))
                .collect(Collectors.joining());
        srv.sh("bash iptables/mpgw-endpoints --role server" + extraWans + " --subflows " + limit
                + " --add-addr-accepted " + limit);
        gw.sh("bash iptables/mpgw-endpoints --role gateway --subflows " + limit + " --add-addr-accepted " + limit);
    }

    private void destinationServices() {
        dst.sh("mkdir -p /srv && head -c " + BLOB_MIB + "M /dev/urandom >/srv/blob");
        dst.background("http", "exec python3 -m http.server " + HTTP_PORT + " --bind 0.0.0.0 --directory /srv");
        dst.background("iperf3", "exec iperf3 --server --port " + IPERF_PORT);
        dst.awaitListening(HTTP_PORT, 10, "http");
        dst.awaitListening(IPERF_PORT, 10, "iperf3");
        StringBuilder bigTxt = new StringBuilder();
        for (int i = 0; i < BIG_TXT_RECORDS; i++) {
            bigTxt.append(" --txt-record=").append(BIG_TXT_NAME).append(',')
                    .append(String.valueOf((char) ('a' + i)).repeat(250));
        }
        dst.background("dnsmasq", "exec dnsmasq --keep-in-foreground --conf-file=/dev/null --no-resolv --no-hosts"
                + " --bind-interfaces --listen-address=" + dstIp() + " --user=root --pid-file= --cache-size=0"
                + " --edns-packet-max=4096 --dns-forward-max=1000 --address=/" + DNS_NAME + "/" + DNS_ANSWER + bigTxt);
        dst.awaitListening(53, 10, "dnsmasq");
    }

    /** The i-th link (1-based). */
    public Network wan(int i) {
        return wans.get(i - 1);
    }

    /** srv's address on each link, link 1 first: the socks peer's addresses as the gateway config lists them. */
    public List<String> serverAddresses() {
        return wans.stream().map(srv::ipOn).collect(Collectors.toList());
    }

    public String dstIp() {
        return dst.ipOn(out);
    }

    /** sha256 of dst's {@code /srv/blob}. */
    public String blobSha256() {
        return dst.sh("sha256sum </srv/blob | cut -d' ' -f1").trim();
    }

    /**
     * Installs the interception rules on gw and starts the gateway with {@code config}; returns when it listens.
     */
    public void startGateway(GatewayConfig config) {
        gw.sh("mkdir -p /etc/mpgw && cat >/etc/mpgw/gateway.conf <<'EOF'\n" + config.render() + "\nEOF");
        String udp = config.interceptsUdp() ? " --tproxy-port " + TPROXY_PORT : " --no-udp";
        gw.sh("bash iptables/mpgw-rules install" + udp + " --port " + GATEWAY_PORT + " --lan " + lanCidr()
                + serverAddresses().stream().map(a -> " --server " + a).collect(Collectors.joining()));
        if (config.interceptsUdp()) {
            // Plain routing must not answer for the gateway: forwarded UDP is dropped, only TPROXY'd UDP gets on.
            gw.sh("nft -f - <<'EOF'\n"
                    + "table inet mpgw_test_noforward {\n"
                    + "  chain forward { type filter hook forward priority 0; meta l4proto udp drop; }\n"
                    + "}\nEOF");
        }
        gw.background("gateway", "exec mpgw gateway --config /etc/mpgw/gateway.conf");
        gw.awaitListening(GATEWAY_PORT, 30, "gateway");
        // The metrics endpoint may come up a moment after the listeners; a test may read it at once.
        gw.awaitListening(GatewayConfig.METRICS_PORT, 30, "gateway");
        if (config.interceptsUdp()) {
            gw.awaitListeningUdp(TPROXY_PORT, 30, "gateway");
        }
    }

    /** Starts mpgw's socks-server on srv (MPTCP listener on every address); returns when it listens. */
    public void startMpgwServer() {
        srv.sh("mkdir -p /etc/mpgw && cat >/etc/mpgw/server.conf <<'EOF'\n"
                + "server {\n  listen = [\"0.0.0.0:" + SOCKS_PORT + "\"]\n  mptcp = required\n}\nEOF");
        srv.background("server", "exec mpgw server --config /etc/mpgw/server.conf");
        srv.awaitListening(SOCKS_PORT, 30, "server");
    }

    /**
     * Starts Dante ({@code danted}) on srv as the socks peer, under {@code mptcpize} so its plain TCP listener
     * becomes MPTCP and the links still aggregate.
     */
    public void startDante() {
        srv.sh("cat >/etc/danted.conf <<'EOF'\n"
                + "logoutput: stderr\n"
                + "internal: 0.0.0.0 port = " + SOCKS_PORT + "\n"
                + "external: " + srv.interfaceOn(out) + "\n"
                + "clientmethod: none\nsocksmethod: none\n"
                + "user.privileged: root\nuser.unprivileged: nobody\n"
                + "client pass { from: 0.0.0.0/0 to: 0.0.0.0/0 }\n"
                + "socks pass { from: 0.0.0.0/0 to: 0.0.0.0/0 }\n"
                + "EOF");
        srv.background("dante", "exec mptcpize run danted -f /etc/danted.conf");
        srv.awaitListening(SOCKS_PORT, 30, "dante");
    }

    /** Takes gw's end of link i down or up; after "up" srv re-announces the link (mptcp_net-next #440). */
    public void link(int i, boolean up) {
        gw.sh("ip link set " + gw.interfaceOn(wan(i)) + (up ? " up" : " down"));
        if (up && i > 1) {
            srv.sh("bash iptables/mpgw-endpoints --reannounce " + srv.interfaceOn(wan(i)));
        }
    }

    /**
     * Makes link i silently drop everything at gw (nft rules on its interface, both directions) or lifts that:
     * a link that dies without losing carrier, as a Wi-Fi bridge or a modem does. The interface stays up.
     */
    public void blackhole(int i, boolean on) {
        String iface = gw.interfaceOn(wan(i));
        String table = "mpgw_test_blackhole" + i;
        if (on) {
            gw.sh("nft -f - <<'EOF'\n"
                    + "table inet " + table + " {\n"
                    + "  chain in { type filter hook prerouting priority -300; iifname \"" + iface + "\" drop; }\n"
                    + "  chain out { type filter hook postrouting priority 300; oifname \"" + iface + "\" drop; }\n"
                    + "}\nEOF");
        } else {
            gw.sh("nft delete table inet " + table + " 2>/dev/null || true");
        }
    }

    /**
     * The gateway's Prometheus series now, {@code mpgw_gateway_*} only, keyed by name and labels as printed
     * ({@code mpgw_gateway_udp_datagrams_total{direction="up"}}).
     */
    public Map<String, Double> gatewayMetrics() {
        String text = gw.sh("curl -sS --fail --max-time 10 http://127.0.0.1:" + GatewayConfig.METRICS_PORT + "/metrics");
        return text.lines()
                // "name{labels} value"; label values (paths) may hold spaces, the value never does.
                .filter(l -> l.startsWith("mpgw_gateway_") && l.lastIndexOf(' ') > 0)
                .collect(Collectors.toMap(l -> l.substring(0, l.lastIndexOf(' ')),
                        l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)), (a, b) -> a));
    }

    /** Bytes gw has sent and received on link i so far. */
    public long linkBytes(int i) {
        String iface = gw.interfaceOn(wan(i));
        return gw.interfaceBytes(iface, "tx") + gw.interfaceBytes(iface, "rx");
    }

    public String lanCidr() {
        return "172.30.70.0/24";
    }

    /** Stops every container and removes the networks; safe after a failed start. */
    @Override
    public void close() {
        for (Node n : nodes) {
            try {
                n.stop();
            } catch (RuntimeException e) {
                System.err.println("stopping " + n.name() + ": " + e);
            }
        }
        for (Network n : networks) {
            try {
                n.close();
            } catch (RuntimeException e) {
                System.err.println("removing network: " + e);
            }
        }
    }
}
