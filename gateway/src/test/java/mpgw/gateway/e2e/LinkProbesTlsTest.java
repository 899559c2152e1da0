package mpgw.gateway.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import mpgw.paths.LinkProbePacket;
import mpgw.testbed.EchoService;
import mpgw.testbed.EchoTransfer;
import mpgw.testbed.GatewayProcess;
import mpgw.testbed.Metrics;
import mpgw.testbed.SocksServerProcess;
import mpgw.testbed.SourceTree;
import mpgw.testbed.Teardown;
import mpgw.testbed.Testbed;
import mpgw.tls.KeyFiles;
import mpgw.tls.KeyGeneration;
import mpgw.tls.KeyMaterial;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 15's "only with TLS peers once the encrypted hop exists", through the kernel: with TLS on, router B's probe
 * responder answers a source in {@code server.probe.allow} only once router A's authenticated MPTCP connection has
 * a subflow from it, so both links' probes are answered after the first TLS flow (its second subflow joined over
 * wan2), and a probe from router A's LAN address, allowed but never a subflow's, is not. Router A counts no probe
 * before its first TLS handshake (router B cannot know it yet), so its links do not go down at start.
 */
class LinkProbesTlsTest {
    private static final int SOCKS_PORT = 1080;
    private static final int PROBE_PORT = 1081;
    private static final int ECHO_PORT = 7000;
    private static final String GW_METRICS = "127.0.0.1:9464";
    private static final String SRV_METRICS = "127.0.0.1:9465";

    @TempDir
    static Path work;
    private static final Teardown services = new Teardown();
    private static Testbed tb;
    private static Path keysA;
    private static Path keysB;
    private static String fingerprintA;
    private static String fingerprintB;

    @BeforeAll
    static void testbed() throws Exception {
        KeyMaterial a = KeyGeneration.generate("router-a");
        KeyMaterial b = KeyGeneration.generate("router-b");
        keysA = work.resolve("keys-a");
        keysB = work.resolve("keys-b");
        KeyFiles.write(keysA, a);
        KeyFiles.write(keysB, b);
        fingerprintA = a.fingerprint().toString();
        fingerprintB = b.fingerprint().toString();
        tb = services.add(Testbed.up("mpgwpt-", "--links", "2", "--rate", "20mbit"));
        tb.exec(tb.gw(), "bash " + SourceTree.script("iptables/mpgw-rules") + " install --no-udp --lan "
                + tb.get("LAN_CIDR"));
        services.add(EchoService.start(tb, tb.dst(), new InetSocketAddress("0.0.0.0", ECHO_PORT)));
    }

    @AfterAll
    static void teardown() {
        services.close();
    }

    private static String files(Path dir) {
        return "certificate = \"%s\", key = \"%s\"".formatted(dir.resolve(KeyFiles.CERT_FILE),
                dir.resolve(KeyFiles.KEY_FILE));
    }

    private static double gwProbes(Metrics m, int link, String result) {
        return m.sumOrZeroIfAbsent("mpgw_gateway_link_probes_total", "interface=\"wan" + link + "\"",
                "result=\"" + result + "\"");
    }

    @Test
    void withTlsRouterBAnswersOnlyTheSubflowAddressesOfItsAuthenticatedPeer() throws Exception {
        String server = """
                server {
                  listen = ["0.0.0.0:%d"]
                  mptcp = required
                  metrics.listen = "%s"
                  shutdown-grace = 1s
                  tls { enabled = on, %s, peers = ["%s"] }
                  probe { enabled = on, listen = "0.0.0.0:%d", allow = ["10.0.0.0/8", "%s"] }
                }
                """.formatted(SOCKS_PORT, SRV_METRICS, files(keysB), fingerprintA, PROBE_PORT, tb.get("LAN_CIDR"));
        String gateway = """
                gateway {
                  servers = ["%s:%d"]
                  metrics.listen = "%s"
                  udp.mode = stream
                  upstream.tls { enabled = on, %s, peers = ["%s"] }
                  links = [ { interface = "wan1", role = primary, probe = "%s:%d" },
                            { interface = "wan2", role = primary, probe = "%s:%d" } ]
                }
                """.formatted(tb.get("SRV_WAN1_IP"), SOCKS_PORT, GW_METRICS, files(keysA), fingerprintB,
                tb.get("SRV_WAN1_IP"), PROBE_PORT, tb.get("SRV_WAN2_IP"), PROBE_PORT);
        try (SocksServerProcess srv = SocksServerProcess.start(tb.srv(), server, work.resolve("srv"));
             GatewayProcess gw = GatewayProcess.start(tb.gw(), gateway, work.resolve("gw"))) {
            // Before any flow: router B drops every probe (no authenticated peer yet), and router A counts none.
            Thread.sleep(2_000);
            Metrics srvBefore = Metrics.scrape(tb, tb.srv(), SRV_METRICS);
            Metrics gwBefore = Metrics.scrape(tb, tb.gw(), GW_METRICS);
            assertTrue(srvBefore.sum("mpgw_server_probe_drops_total", "reason=\"not-tls-peer\"") >= 10,
                    srvBefore.toString());
            assertEquals(0, srvBefore.sumOrZeroIfAbsent("mpgw_server_probe_replies_total"), srvBefore.toString());
            assertEquals(0, gwProbes(gwBefore, 1, "lost") + gwProbes(gwBefore, 2, "lost"), gwBefore.toString());
            assertTrue(gw.daemon().linesContaining("-> down").isEmpty(), gw.daemon().log());

            // One TLS flow: its connection's subflows (wan1, then wan2 joined) make both addresses known.
            // A short one (64 KiB): it ends before a probe asks, so router B learns at the handshake and the joins.
            EchoTransfer.Result r = EchoTransfer.run(tb, tb.client(),
                    new InetSocketAddress(tb.get("DST_IP"), ECHO_PORT), 64 << 10, 1);
            assertTrue(r.intact(), r.toString());
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            Metrics gwAfter = Metrics.scrape(tb, tb.gw(), GW_METRICS);
            while ((gwProbes(gwAfter, 1, "answered") < 5 || gwProbes(gwAfter, 2, "answered") < 5)
                    && System.nanoTime() < deadline) {
                Thread.sleep(200);
                gwAfter = Metrics.scrape(tb, tb.gw(), GW_METRICS);
            }
            System.out.println("probes answered after the first TLS flow: wan1 " + gwProbes(gwAfter, 1, "answered")
                    + ", wan2 " + gwProbes(gwAfter, 2, "answered"));
            assertTrue(gwProbes(gwAfter, 1, "answered") >= 5 && gwProbes(gwAfter, 2, "answered") >= 5,
                    gwAfter.toString());
            assertTrue(gw.daemon().linesContaining("-> down").isEmpty(), gw.daemon().log());

            // Router A's LAN address is allowed but never a subflow's: a probe from it stays unanswered.
            double strangerBefore = Metrics.scrape(tb, tb.srv(), SRV_METRICS).sum("mpgw_server_probe_drops_total",
                    "reason=\"not-tls-peer\"");
            InetSocketAddress responder = new InetSocketAddress(tb.get("SRV_WAN1_IP"), PROBE_PORT);
            InetAddress lan = InetAddress.getByName(tb.get("GW_LAN_IP"));
            int sent = tb.call(tb.gw(), () -> {
                try (DatagramSocket s = new DatagramSocket(0, lan)) {
                    for (int i = 0; i < 3; i++) {
                        ByteBuffer probe = LinkProbePacket.request(1000 + i, System.nanoTime());
                        s.send(new DatagramPacket(probe.array(), probe.remaining(), responder));
                    }
                }
                return 3;
            });
            Thread.sleep(500);
            Metrics srvAfter = Metrics.scrape(tb, tb.srv(), SRV_METRICS);
            assertEquals(strangerBefore + sent, srvAfter.sum("mpgw_server_probe_drops_total",
                    "reason=\"not-tls-peer\""), srvAfter.toString());
            assertTrue(srv.daemon().linesContaining("probe from " + tb.get("GW_LAN_IP") + " dropped: not-tls-peer")
                    .size() == 1, "one line per 10 s per source: " + srv.daemon().log());
        }
    }
}
