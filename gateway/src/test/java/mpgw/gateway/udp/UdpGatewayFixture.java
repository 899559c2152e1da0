package mpgw.gateway.udp;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import mpgw.config.ConfigFiles;
import mpgw.gateway.GatewayServer;
import mpgw.gateway.Upstreams;
import mpgw.gateway.config.GatewaySettings;
import mpgw.gateway.metrics.MicrometerGatewayMetrics;
import mpgw.jni.MptcpSocketFactory;
import mpgw.server.MicrometerServerEvents;
import mpgw.server.ServerSettings;
import mpgw.server.SocksServer;
import mpgw.testing.Sh;
import mpgw.tls.KeyFiles;
import mpgw.tls.KeyGeneration;
import mpgw.tls.KeyMaterial;

/**
 * The whole UDP path on a {@link UdpTestbed}: dnsmasq and iperf3 on dst, a SOCKS5 server on srv (mpgw's own
 * {@link SocksServer}, or Dante), mpgw-rules' TPROXY rules and the gateway (TCP and UDP halves, in this JVM, their
 * event loops started inside the gw namespace) on gw.
 */
final class UdpGatewayFixture implements AutoCloseable {
    static final String DNS_NAME = "example.test";
    static final String DNS_ANSWER = "192.0.2.1";
    static final int BIG_TXT_RECORDS = 8;

    final UdpTestbed bed;
    final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    final Path dir;
    private SocksServer server;
    private GatewayServer tcp;
    UdpGateway udp;
    /** With {@link #startTls}: the {@code tls} block of router B's server and the gateway's {@code upstream.tls}. */
    private String serverTls = "";
    private String gatewayTls = "";

    private UdpGatewayFixture(UdpTestbed bed, Path dir) {
        this.bed = bed;
        this.dir = dir;
    }

    /** Which SOCKS5 server runs on srv. */
    enum Server { MPGW, DANTE }

    /** @param udpConfig extra lines for the {@code gateway.udp} block, e.g. {@code max-sessions = 10} */
    static UdpGatewayFixture start(String mode, String udpConfig) throws Exception {
        return start(mode, mode.equals("associate") ? Server.DANTE : Server.MPGW, udpConfig);
    }

    static UdpGatewayFixture start(String mode, Server socks, String udpConfig) throws Exception {
        return start(mode, socks, udpConfig, "20mbit");
    }

    /** @param rate tbf rate of each gw-srv link, or {@code none} */
    static UdpGatewayFixture start(String mode, Server socks, String udpConfig, String rate) throws Exception {
        return start(mode, socks, udpConfig, rate, false);
    }

    /**
     * Stream mode with TLS on both routers (issue 14): each gets a key pair made here, router B's server pins the
     * gateway's certificate and the gateway's {@code upstream.tls} pins router B's.
     */
    static UdpGatewayFixture startTls(String udpConfig) throws Exception {
        return start("stream", Server.MPGW, udpConfig, "20mbit", 0, true);
    }

    /** Stream mode against mpgw's server on 2 x 20 Mbit/s links with {@code delayMillis} one way each. */
    static UdpGatewayFixture startDelayed(String udpConfig, int delayMillis, boolean tls) throws Exception {
        return start("stream", Server.MPGW, udpConfig, "20mbit", delayMillis, tls);
    }

    private static UdpGatewayFixture start(String mode, Server socks, String udpConfig, String rate, boolean tls)
            throws Exception {
        return start(mode, socks, udpConfig, rate, 0, tls);
    }

    private static UdpGatewayFixture start(String mode, Server socks, String udpConfig, String rate, int delayMillis,
                                           boolean tls) throws Exception {
        UdpGatewayFixture f = new UdpGatewayFixture(UdpTestbed.up(rate, delayMillis),
                Files.createTempDirectory("mpgw-udp"));
        try {
            if (tls) {
                f.makeKeys();
            }
            f.startDestination();
            String server = socks == Server.DANTE ? f.startDante() : f.startMpgwServer();
            f.startGateway(server, "mode = " + mode + "\n" + udpConfig);
        } catch (Exception | Error e) {
            f.close();
            throw e;
        }
        return f;
    }

    private void makeKeys() throws IOException {
        KeyMaterial a = KeyGeneration.generate("router-a");
        KeyMaterial b = KeyGeneration.generate("router-b");
        KeyFiles.write(dir.resolve("keys-a"), a);
        KeyFiles.write(dir.resolve("keys-b"), b);
        String files = "certificate = \"%s/" + KeyFiles.CERT_FILE + "\", key = \"%s/" + KeyFiles.KEY_FILE + "\"";
        serverTls = " tls { enabled = on, " + files.formatted(dir.resolve("keys-b"), dir.resolve("keys-b"))
                + ", peers = [\"" + a.fingerprint() + "\"] }\n";
        gatewayTls = " upstream.tls { enabled = on, " + files.formatted(dir.resolve("keys-a"), dir.resolve("keys-a"))
                + ", peers = [\"" + b.fingerprint() + "\"] }\n";
    }

    private void startDestination() throws Exception {
        StringBuilder txt = new StringBuilder();
        for (int i = 0; i < BIG_TXT_RECORDS; i++) {
            txt.append(" --txt-record=big.test,").append(String.valueOf((char) ('a' + i)).repeat(250));
        }
        bed.spawn("dst", dir.resolve("dnsmasq.log"), "bash", "-c", "exec dnsmasq --keep-in-foreground"
                + " --conf-file=/dev/null"
                + " --no-resolv --no-hosts --bind-interfaces --listen-address=" + bed.get("DST_IP")
                + " --listen-address=" + bed.get("DST_IP6") + " --user=root --pid-file= --cache-size=0"
                + " --edns-packet-max=4096 --dns-forward-max=1000"
                + " --address=/" + DNS_NAME + "/" + DNS_ANSWER + " --address=/" + DNS_NAME + "/2001:db8::1" + txt);
        waitFor("dst", "ss -uln | grep -q ':53 '");
    }

    private String startMpgwServer() throws Exception {
        server = mpgwServer(1080);
        return bed.get("SRV_IP") + ":1080";
    }

    /** mpgw's socks-server on srv, {@code 0.0.0.0:port}; the caller closes it (or the fixture, for 1080). */
    SocksServer mpgwServer(int port) throws Exception {
        Path conf = dir.resolve("server-" + port + ".conf");
        // The wildcard: MPTCP joins arrive on srv's other link addresses and need a listener there too.
        Files.writeString(conf, "server {\n listen = [\"0.0.0.0:" + port + "\"]\n"
                + " limits.max-connections-per-client = 5000\n" + serverTls + "}\n");
        ServerSettings settings = ServerSettings.from(ConfigFiles.load(conf, ServerSettings.ROOT));
        MptcpSocketFactory sockets = new MptcpSocketFactory(settings.mptcp());
        // Started inside srv: the event loop threads begin there, so every socket they open lives there.
        return bed.call("srv", () -> {
            SocksServer s = new SocksServer(settings, sockets, new MicrometerServerEvents(
                    new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), sockets));
            s.start();
            return s;
        });
    }

    private String startDante() throws Exception {
        Path conf = dir.resolve("danted.conf");
        Files.writeString(conf, String.join("\n",
                "logoutput: " + dir.resolve("danted.log"),
                "internal: " + bed.get("SRV_IP") + " port = 1081",
                "external: " + bed.get("SRV_DST_IP"),
                "external: fd80::1",
                "clientmethod: none",
                "socksmethod: none",
                "user.privileged: root",
                "user.unprivileged: root",
                "client pass {\n from: 0/0 to: 0/0\n}",
                // 0/0: any address family (0.0.0.0/0 would match IPv4 only).
                "socks pass {\n from: 0/0 to: 0/0\n command: connect udpassociate udpreply\n log: error\n}",
                ""));
        bed.spawn("srv", dir.resolve("danted.out"), "danted", "-f", conf.toString(), "-N", "1");
        waitFor("srv", "ss -tln | grep -q ':1081 '");
        return bed.get("SRV_IP") + ":1081";
    }

    private void startGateway(String server, String udpConfig) throws Exception {
        Sh.check("ip netns exec " + bed.ns("gw") + " bash " + UdpTestbed.repo().resolve("iptables/mpgw-rules")
                + " install --backend iptables --ipv6 --port 12345 --tproxy-port 12346 --server "
                + bed.get("SRV_IP") + " --server " + bed.get("SRV_IPS").split(",")[1]);
        // Plain routing would answer too; with forwarded UDP dropped only the gateway's path can.
        bed.exec("gw", "iptables -A FORWARD -p udp -j DROP && ip6tables -A FORWARD -p udp -j DROP");
        Path conf = dir.resolve("gateway.conf");
        Files.writeString(conf, "gateway {\n servers = [\"" + server + "\"]\n metrics.listen = \"\"\n"
                + gatewayTls + " udp {\n" + udpConfig + "\n }\n}\n");
        GatewaySettings settings = GatewaySettings.load(conf);
        MptcpSocketFactory sockets = new MptcpSocketFactory(settings.mptcp());
        bed.call("gw", () -> {
            Upstreams upstreams = Upstreams.from(settings, sockets, new MicrometerGatewayMetrics(registry, sockets));
            tcp = new GatewayServer(settings, upstreams);
            tcp.start();
            udp = UdpGateway.start(settings, upstreams.udp(), upstreams::udpWarm, registry, tcp.flows());
            return null;
        });
    }

    /** Waits (10 s at most) until {@code check} exits 0 in namespace {@code role}; fails with the logs if never. */
    void waitFor(String role, String check) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (bed.run(role, check).exitCode() != 0) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("not ready after 10 s: " + check + "\n" + logs());
            }
            Thread.sleep(50); // poll interval, bounded by the deadline
        }
    }

    /** Starts {@code iperf3 -s} (plus {@code options}) on dst and waits until it listens on 5201. */
    void startIperfServer(String... options) throws Exception {
        java.util.List<String> cmd = new java.util.ArrayList<>(java.util.List.of("iperf3", "-s", "-B",
                bed.get("DST_IP")));
        cmd.addAll(java.util.List.of(options));
        bed.spawn("dst", dir.resolve("iperf3.log"), cmd.toArray(String[]::new));
        waitFor("dst", "ss -tln | grep -q ':5201 '");
    }

    String logs() throws IOException {
        StringBuilder b = new StringBuilder();
        try (var files = Files.list(dir)) {
            for (Path p : files.filter(p -> p.toString().endsWith(".log") || p.toString().endsWith(".out")).toList()) {
                b.append("--- ").append(p.getFileName()).append('\n').append(Files.readString(p));
            }
        }
        return b.toString();
    }

    /** Runs dig in the client namespace and returns its output. */
    String dig(String args) throws IOException, InterruptedException {
        return bed.exec("client", "dig +tries=1 +time=5 " + args);
    }

    double drops(UdpDrop reason) {
        Counter c = registry.find("mpgw.gateway.udp.drops").tag("reason", reason.tag()).counter();
        return c == null ? 0 : c.count();
    }

    double counter(String name, String... tags) {
        Counter c = registry.find(name).tags(tags).counter();
        return c == null ? 0 : c.count();
    }

    /** The pool's counters, for a failure message: takes by result and replaced members by reason. */
    String poolReport() {
        StringBuilder b = new StringBuilder("pool:");
        for (String name : new String[] {"mpgw.gateway.pool.takes", "mpgw.gateway.pool.replaced"}) {
            for (Counter c : registry.find(name).counters()) {
                b.append(' ').append(c.getId().getName().substring("mpgw.gateway.pool.".length())).append('{')
                        .append(c.getId().getTags().get(0).getValue()).append("}=").append((long) c.count());
            }
        }
        return b.append(" ready=").append((long) gauge("mpgw.gateway.pool.ready")).toString();
    }

    /** How many times a timer recorded, e.g. {@code mpgw.gateway.upstream.connect} (any server). */
    long timerCount(String name) {
        return registry.find(name).timers().stream().mapToLong(Timer::count).sum();
    }

    double gauge(String name) {
        Gauge g = registry.find(name).gauge();
        return g == null ? 0 : g.value();
    }

    @Override
    public void close() {
        if (udp != null) {
            udp.close();
        }
        if (tcp != null) {
            tcp.close();
        }
        if (server != null) {
            server.close();
        }
        bed.close();
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // A temp directory left behind is harmless.
        }
    }
}
