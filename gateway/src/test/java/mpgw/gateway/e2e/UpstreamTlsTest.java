package mpgw.gateway.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import mpgw.testbed.Daemon;
import mpgw.testbed.EchoService;
import mpgw.testbed.EchoTransfer;
import mpgw.testbed.GatewayProcess;
import mpgw.testbed.Metrics;
import mpgw.testbed.PooledFlowCapture;
import mpgw.testbed.SocksServerProcess;
import mpgw.testbed.SourceTree;
import mpgw.testbed.Subflows;
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
 * Router A's side of issue 14 end to end: the gateway and socks-server daemons with TLS on both, on the testbed
 * (two 20 Mbit/s links with 5 ms each way, real MPTCP with a subflow on each, mpgw-rules' REDIRECT). Each router has its own key
 * pair; router B's listeners pin router A's certificate, the gateway pins router B's.
 *
 * <pre>
 *   1090  TLS, router B's key             the normal case
 *   1091  TLS, a key the gateway does not pin   (a server that is not router B)
 *   1092  TLS, router B's second key (rotation)
 *   1093  plain SOCKS5                    the control for the capture
 * </pre>
 */
class UpstreamTlsTest {
    private static final String METRICS = "127.0.0.1:9464";
    private static final int ECHO_PORT = 7000;
    private static final int TLS_PORT = 1090;
    private static final int ROGUE_PORT = 1091;
    private static final int ROTATED_PORT = 1092;
    private static final int PLAIN_PORT = 1093;
    private static final String MARKER = "mpgw-marker-4e1c9b7f-in-clear";

    @TempDir
    static Path work;
    private static Testbed tb;
    private static final Teardown services = new Teardown();
    private static InetSocketAddress echo;
    private static Keys routerA;
    private static Keys routerB;
    private static Keys routerBNext;
    private static Keys rogue;

    /** A key pair written as 'mpgw keys' writes it. */
    private record Keys(KeyMaterial material, Path dir) {
        static Keys make(String name) throws Exception {
            KeyMaterial k = KeyGeneration.generate(name);
            Path dir = work.resolve("keys-" + name);
            KeyFiles.write(dir, k);
            return new Keys(k, dir);
        }

        String fingerprint() {
            return material.fingerprint().toString();
        }

        /** The first 16 hex digits, as the connection lines show a pinned peer. */
        String shortForm() {
            return fingerprint().substring(0, "sha256:".length() + 16);
        }

        String files() {
            return "certificate = \"%s\", key = \"%s\"".formatted(dir.resolve(KeyFiles.CERT_FILE),
                    dir.resolve(KeyFiles.KEY_FILE));
        }
    }

    @BeforeAll
    static void testbed() throws Exception {
        routerA = Keys.make("router-a");
        routerB = Keys.make("router-b");
        routerBNext = Keys.make("router-b-next");
        rogue = Keys.make("not-router-b");
        // 5 ms each way: router B's answers take at least 10 ms, so whether a pooled flow's bytes left before
        // anything came back does not depend on how the machine schedules the gateway (as in UpstreamPoolTest).
        tb = Testbed.up("mpgwtg", "--links", "2", "--rate", "20mbit", "--delay", "5");
        services.add(tb);
        tb.exec(tb.gw(), "bash " + SourceTree.script("iptables/mpgw-rules") + " install --no-udp --lan "
                + tb.get("LAN_CIDR"));
        services.add(SocksServerProcess.start(tb.srv(), server(TLS_PORT, routerB), work));
        services.add(SocksServerProcess.start(tb.srv(), server(ROGUE_PORT, rogue), work));
        services.add(SocksServerProcess.start(tb.srv(), server(ROTATED_PORT, routerBNext), work));
        services.add(SocksServerProcess.start(tb.srv(), server(PLAIN_PORT, null), work));
        services.add(EchoService.start(tb, tb.dst(), new InetSocketAddress("0.0.0.0", ECHO_PORT)));
        echo = new InetSocketAddress(tb.get("DST_IP"), ECHO_PORT);
    }

    @AfterAll
    static void teardown() {
        services.close();
    }

    /** Router B on {@code port} with {@code keys} (null: TLS off), pinning router A. */
    private static String server(int port, Keys keys) {
        String tls = keys == null ? "" : "tls { enabled = on, %s, peers = [\"%s\"] }".formatted(keys.files(),
                routerA.fingerprint());
        return """
                server {
                  listen = ["0.0.0.0:%d"]
                  mptcp = required
                  metrics.listen = ""
                  shutdown-grace = 1s
                  %s
                }
                """.formatted(port, tls);
    }

    /** The gateway to router B's {@code port}, TLS on pinning {@code pins} (none: TLS off). */
    private static GatewayProcess gateway(int port, String extra, Keys... pins) throws Exception {
        String tls = "";
        if (pins.length > 0) {
            StringBuilder peers = new StringBuilder();
            for (Keys k : pins) {
                peers.append(peers.isEmpty() ? "" : ", ").append('"').append(k.fingerprint()).append('"');
            }
            tls = "upstream.tls { enabled = on, %s, peers = [%s] }".formatted(routerA.files(), peers);
        }
        return GatewayProcess.start(tb.gw(), """
                gateway {
                  servers = ["%s:%d"]
                  metrics.listen = "%s"
                  %s
                  %s
                }
                """.formatted(tb.get("SRV_IP"), port, METRICS, tls, extra), work);
    }

    @Test
    void aFlowOverTwoSubflowsArrivesIntactAndSurvivesALinkCut() throws Exception {
        try (GatewayProcess gw = gateway(TLS_PORT, "", routerB)) {
            Socket s = EchoTransfer.connect(tb, tb.client(), echo);
            CompletableFuture<EchoTransfer.Result> transfer = CompletableFuture.supplyAsync(() -> {
                try {
                    return EchoTransfer.over(s, 24 << 20, 14);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            Map<String, Long> both = awaitSubflows(m -> m.size() >= 2 && m.values().stream()
                    .allMatch(acked -> acked > (1 << 20)), "2 subflows with 1 MB acked each");
            long link2Before = txBytes(2);
            tb.link(1, false);
            try {
                EchoTransfer.Result r = transfer.get(120, TimeUnit.SECONDS);
                long link2Carried = txBytes(2) - link2Before;
                System.out.println("24 MB echoed through TLS over MPTCP, link 1 cut after " + both + " acked: " + r
                        + "; link 2 sent " + link2Carried + " bytes after the cut");
                assertTrue(r.intact(), r.toString());
                assertTrue(link2Carried > (8 << 20), "link 2 carried only " + link2Carried + " bytes after the cut");
            } finally {
                tb.link(1, true);
            }
            String line = gw.awaitLine("outcome=relayed");
            assertTrue(line.contains(" peer=" + routerB.shortForm() + " "), line);
            Metrics m = Metrics.scrape(tb, tb.gw(), METRICS);
            assertEquals(1, m.sum("mpgw_gateway_tls_handshakes_total", "result=\"ok\""), m.toString());
            assertEquals(0, m.sum("mpgw_gateway_tls_handshakes_total", "result=\"unknown-peer\""), m.toString());
        }
    }

    /**
     * Captured on router A's links: the marker crosses in clear with TLS off (so the check works), and never with
     * TLS on, in either direction (the echo sends it back).
     */
    @Test
    void theLinksNeverCarryTheMarkerInClearWithTlsOn() throws Exception {
        assertTrue(capturedMarker(PLAIN_PORT), "TLS off: the marker should be readable on the link");
        assertFalse(capturedMarker(TLS_PORT, routerB), "TLS on: the marker crossed the link in clear");
    }

    /** Whether a capture on router A's link interfaces saw the marker while a flow carried it. */
    private static boolean capturedMarker(int port, Keys... pins) throws Exception {
        Path pcap = work.resolve("links-" + port + ".pcap");
        byte[] payload = (MARKER + "\n").repeat(64).getBytes(StandardCharsets.US_ASCII);
        try (GatewayProcess gw = gateway(port, "", pins)) {
            try (Daemon cap = Daemon.startIn(tb.gw(), "tcpdump-" + port, List.of("tcpdump", "-i", "any", "-n",
                    "-U", "--immediate-mode", "-s", "0", "-w", pcap.toString(), "tcp port " + port))) {
                cap.awaitLine("listening on", Duration.ofSeconds(10));
                try (Socket s = EchoTransfer.connect(tb, tb.client(), echo)) {
                    s.setSoTimeout(10_000);
                    s.getOutputStream().write(payload);
                    s.shutdownOutput();
                    assertEquals(payload.length, s.getInputStream().readAllBytes().length, "the echo");
                }
                gw.awaitLine("outcome=relayed");
            } // tcpdump stops here: the file is complete
        }
        String captured = Files.readString(pcap, StandardCharsets.ISO_8859_1);
        // Both directions carried the payload: the capture must hold at least that much, in clear or not.
        assertTrue(captured.length() > 2 * payload.length, "the capture missed the flow: " + captured.length()
                + " bytes");
        return captured.contains(MARKER);
    }

    @Test
    void anUnknownServerCertificateResetsTheClientAndLogsItsFingerprint() throws Exception {
        try (GatewayProcess gw = gateway(ROGUE_PORT, "", routerB)) {
            assertReset(echo);
            String line = gw.awaitLine("outcome=handshake-failed");
            assertTrue(line.contains("tls unknown-peer") && line.contains("peer=" + rogue.fingerprint()), line);
            String warning = gw.awaitLine("TLS handshake failed");
            assertTrue(warning.contains(rogue.fingerprint()), warning);
            for (int i = 0; i < 5; i++) {
                assertReset(echo);
            }
            Thread.sleep(500);
            // One line per server and outcome a minute, however many flows fail.
            assertEquals(1, gw.daemon().linesContaining("TLS handshake failed").size(), gw.daemon().log());
            Metrics m = Metrics.scrape(tb, tb.gw(), METRICS);
            assertEquals(6, m.sum("mpgw_gateway_tls_handshakes_total", "result=\"unknown-peer\""), m.toString());
            assertEquals(0, m.sum("mpgw_gateway_tls_handshakes_total", "result=\"ok\""), m.toString());
        }
    }

    /**
     * Router B rotates its key: with both fingerprints pinned the gateway accepts the old key and the new one;
     * restarted with only the new one, it refuses the old.
     */
    @Test
    void rotationAcceptsBothPinnedKeysAndRefusesTheRemovedOneAfterARestart() throws Exception {
        for (int port : new int[] {TLS_PORT, ROTATED_PORT}) {
            try (GatewayProcess gw = gateway(port, "", routerB, routerBNext)) {
                assertTrue(EchoTransfer.run(tb, tb.client(), echo, 64 << 10, 3).intact());
                Keys served = port == TLS_PORT ? routerB : routerBNext;
                assertTrue(gw.awaitLine("outcome=relayed").contains(" peer=" + served.shortForm() + " "));
            }
        }
        try (GatewayProcess gw = gateway(TLS_PORT, "", routerBNext)) {
            assertReset(echo);
            String line = gw.awaitLine("outcome=handshake-failed");
            assertTrue(line.contains("tls unknown-peer") && line.contains("peer=" + routerB.fingerprint()), line);
        }
    }

    /**
     * A warm pool member finished TLS (and the SOCKS5 greeting) before a flow takes it: the client's first bytes
     * leave router A before anything comes back from router B, the flow's upstream made no handshake of its own.
     */
    @Test
    void aPooledFlowsFirstBytesDoNotWaitForATlsHandshake() throws Exception {
        try (GatewayProcess gw = gateway(TLS_PORT, "upstream.pool.size = 2", routerB)) {
            awaitPoolReady(2);
            // A first flow loads the gateway's classes; the second, on a refilled pool, is the one measured.
            assertTrue(EchoTransfer.run(tb, tb.client(), echo, 64 << 10, 2).intact());
            gw.awaitLine("outcome=relayed");
            Metrics ready = awaitPoolReady(2);
            double handshakes = ready.sum("mpgw_gateway_tls_handshakes_total", "result=\"ok\"");
            assertTrue(handshakes >= 3, "2 members and one refill, each with its TLS handshake: " + ready);

            List<String> capture;
            try (Daemon cap = Daemon.startIn(tb.gw(), "tcpdump-pool", List.of("tcpdump", "-i", "any", "-tt", "-n",
                    "-l", "-U", "tcp port " + TLS_PORT + " or tcp port " + ECHO_PORT))) {
                cap.awaitLine("listening on", Duration.ofSeconds(10));
                EchoTransfer.Result r = EchoTransfer.run(tb, tb.client(), echo, 64 << 10, 1);
                assertTrue(r.intact(), r.toString());
                cap.awaitLine(l -> l.contains("." + ECHO_PORT + " >") && l.contains("Flags [F"), "the echo's FIN",
                        Duration.ofSeconds(10));
                capture = cap.lines();
            }
            long sent = PooledFlowCapture.sentBeforeAnswer(capture, ECHO_PORT);
            System.out.println("pooled flow with TLS: " + sent + " client bytes left router A before anything came"
                    + " back from router B");
            assertTrue(sent > 0, "router A waited for router B before sending client bytes: " + capture);
            List<String> lines = gw.daemon().awaitLines("outcome=relayed", 2, Duration.ofSeconds(10));
            assertTrue(lines.get(1).contains(" peer=" + routerB.shortForm() + " "), lines.get(1));
            Metrics m = Metrics.scrape(tb, tb.gw(), METRICS);
            assertEquals(2, m.sum("mpgw_gateway_pool_takes_total", "result=\"hit\""), m.toString());
        }
    }

    private static Metrics awaitPoolReady(int n) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        Metrics m = Metrics.scrape(tb, tb.gw(), METRICS);
        while (m.sum("mpgw_gateway_pool_ready") < n && System.nanoTime() < deadline) {
            Thread.sleep(100);
            m = Metrics.scrape(tb, tb.gw(), METRICS);
        }
        assertTrue(m.sum("mpgw_gateway_pool_ready") >= n, "pool never had " + n + " ready members: " + m);
        return m;
    }

    private static Map<String, Long> awaitSubflows(Predicate<Map<String, Long>> done, String what)
            throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        Map<String, Long> m = Subflows.bytesAckedByLocalAddress(tb, tb.gw(), TLS_PORT);
        while (!done.test(m) && System.nanoTime() < deadline) {
            Thread.sleep(100);
            m = Subflows.bytesAckedByLocalAddress(tb, tb.gw(), TLS_PORT);
        }
        assertTrue(done.test(m), "never saw " + what + ": " + m);
        return m;
    }

    private static long txBytes(int link) throws Exception {
        return Long.parseLong(tb.exec(tb.gw(), "cat /sys/class/net/wan" + link + "/statistics/tx_bytes").trim());
    }

    private static void assertReset(InetSocketAddress target) throws Exception {
        Socket s;
        try {
            s = EchoTransfer.connect(tb, tb.client(), target);
        } catch (SocketException e) {
            assertTrue(String.valueOf(e.getMessage()).contains("reset"), "expected a reset, got " + e);
            return;
        }
        try (s) {
            s.setSoTimeout(15_000);
            SocketException e = assertThrows(SocketException.class, () -> s.getInputStream().read());
            assertTrue(e.getMessage().contains("reset"), "expected a reset, got " + e);
        }
    }
}
