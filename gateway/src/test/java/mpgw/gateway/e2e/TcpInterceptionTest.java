package mpgw.gateway.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import mpgw.testbed.Daemon;
import mpgw.testbed.DanteServer;
import mpgw.testbed.EchoService;
import mpgw.testbed.EchoTransfer;
import mpgw.testbed.GatewayProcess;
import mpgw.testbed.Metrics;
import mpgw.testbed.ResettingService;
import mpgw.testbed.SocksServerProcess;
import mpgw.testbed.SourceService;
import mpgw.testbed.SourceTree;
import mpgw.testbed.Subflows;
import mpgw.testbed.Teardown;
import mpgw.testbed.Testbed;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The gateway's TCP path end to end, through the real kernel: the client namespace connects to the destination
 * namespace; the gw namespace's nat REDIRECT rules ({@code iptables/mpgw-rules}) hand the connection to a
 * gateway process, which carries it as SOCKS5 over MPTCP (two 20 Mbit/s links) to a socks-server in the srv
 * namespace: mpgw's own ({@code mpgw.server.ServerMain}) or a third-party one (Dante, made MPTCP with mptcpize).
 */
class TcpInterceptionTest {
    private static final String METRICS = "127.0.0.1:9464";
    private static final int ECHO_PORT = 7000;
    private static final int CLOSED_PORT = 7999;
    private static final int SOURCE_PORT = 7001;
    private static final int RESET_UPLOAD_PORT = 7002;
    private static final int RESET_DOWNLOAD_PORT = 7003;
    private static final long DOWNLOAD_BYTES = 24 << 20;
    private static final int DANTE_PORT = 1080;
    private static final int DANTE_AUTH_PORT = 1082;
    private static final int SILENT_PORT = 1081;
    private static final int MPGW_PORT = 1090;
    private static final int MPGW_AUTH_PORT = 1091;
    private static final DanteServer.Credentials USER = new DanteServer.Credentials("mpgwtest", "s3cret pass");

    @TempDir
    static Path work;
    private static Testbed tb;
    private static final Teardown services = new Teardown();
    private static InetSocketAddress echo;
    private static ResettingService resetsUpload;
    private static ResettingService resetsDownload;

    @BeforeAll
    static void testbed() throws Exception {
        tb = Testbed.up("mpgwgwt-", "--links", "2", "--rate", "20mbit", "--ipv6");
        services.add(tb);
        installRules("");
        services.add(DanteServer.start(tb.srv(), DANTE_PORT, "out0", null, work.resolve("dante")));
        services.add(DanteServer.start(tb.srv(), DANTE_AUTH_PORT, "out0", USER, work.resolve("dante-auth")));
        services.add(SocksServerProcess.start(tb.srv(), ourServer(MPGW_PORT, "method = none"), work));
        services.add(SocksServerProcess.start(tb.srv(), ourServer(MPGW_AUTH_PORT, """
                method = password
                users = [ { user = "%s", password = "%s" } ]""".formatted(USER.name(), USER.password())), work));
        // Dual-stack: IPv4 and IPv6 clients reach the same echo service.
        services.add(EchoService.start(tb, tb.dst(), new InetSocketAddress("::", ECHO_PORT)));
        services.add(SourceService.start(tb, tb.dst(), new InetSocketAddress("::", SOURCE_PORT), DOWNLOAD_BYTES));
        resetsUpload = ResettingService.start(tb, tb.dst(), new InetSocketAddress("::", RESET_UPLOAD_PORT), 0, 1 << 20);
        services.add(resetsUpload);
        resetsDownload = ResettingService.start(tb, tb.dst(), new InetSocketAddress("::", RESET_DOWNLOAD_PORT),
                1 << 20, 0);
        services.add(resetsDownload);
        ServerSocket silent = tb.call(tb.srv(), () -> new ServerSocket(SILENT_PORT));
        services.add(silent); // accepts (the kernel does) and never answers
        echo = new InetSocketAddress(tb.get("DST_IP"), ECHO_PORT);
    }

    @AfterAll
    static void teardown() {
        services.close();
    }

    private static String ourServer(int port, String auth) {
        return """
                server {
                  listen = ["[::]:%d"]
                  mptcp = required
                  auth { %s }
                  metrics.listen = ""
                  shutdown-grace = 1s
                }
                """.formatted(port, auth);
    }

    /** The socks-server port of a server kind: "dante" (third party) or "mpgw" (ours). */
    private static int port(String server, boolean auth) {
        return server.equals("dante") ? (auth ? DANTE_AUTH_PORT : DANTE_PORT) : (auth ? MPGW_AUTH_PORT : MPGW_PORT);
    }

    private static void installRules(String extra) throws Exception {
        tb.exec(tb.gw(), "bash " + SourceTree.script("iptables/mpgw-rules") + " install --no-udp --ipv6 --lan "
                + tb.get("LAN_CIDR") + " --lan " + tb.get("LAN_CIDR6") + " " + extra);
    }

    /** A gateway config for mpgw's own server on both link addresses, plus {@code extra} keys. */
    private static String config(String extra) {
        return config(MPGW_PORT, extra);
    }

    private static String config(int serverPort, String extra) {
        return """
                gateway {
                  servers = ["%s:%d", "%s:%d"]
                  metrics.listen = "%s"
                  metrics.path-sample-interval = 200ms
                  %s
                }
                """.formatted(tb.list("SRV_IPS").get(0), serverPort, tb.list("SRV_IPS").get(1), serverPort, METRICS,
                extra);
    }

    private static GatewayProcess gateway(String extra) throws Exception {
        return GatewayProcess.start(tb.gw(), config(extra), work);
    }

    @ParameterizedTest(name = "server {0}, pipelined = {1}")
    @CsvSource({"mpgw, on", "mpgw, off", "dante, on", "dante, off"})
    void relaysIntactBothWaysOverAnMptcpConnectionWithTwoSubflows(String server, String pipelined) throws Exception {
        try (GatewayProcess gw = GatewayProcess.start(tb.gw(), config(port(server, false),
                "socks.pipelined = " + pipelined), work)) {
            EchoTransfer.Result r = EchoTransfer.run(tb, tb.client(), echo, 6 << 20, 1);
            System.out.println("server=" + server + " pipelined=" + pipelined + ": " + r);
            assertTrue(r.intact(), r.toString());

            String flow = gw.awaitLine("outcome=relayed");
            assertTrue(flow.contains("dest=" + tb.get("DST_IP") + ":" + ECHO_PORT), flow);
            assertTrue(flow.contains("up=" + (6 << 20) + " down=" + (6 << 20)), flow);
            Metrics m = Metrics.scrape(tb, tb.gw(), METRICS);
            assertTrue(m.sum("mpgw_gateway_upstream_subflows_max") >= 2, "subflows: " + m);
            for (int link = 1; link <= 2; link++) {
                String path = "path=\"" + tb.get("GW_WAN" + link + "_IP") + " -> " + tb.get("SRV_WAN" + link + "_IP");
                double sent = m.sum("mpgw_gateway_path_bytes_total", path, "direction=\"sent\"");
                assertTrue(sent > 256 * 1024, "link " + link + " carried " + sent + " bytes: " + m);
            }
            assertEquals(0, m.sum("mpgw_gateway_mptcp_fallbacks_total"), m.toString());
        }
    }

    /** Aggregation, reported rather than asserted: one client flow downloading over 2 x 20 Mbit/s. */
    @Test
    void oneDownloadUsesBothLinks() throws Exception {
        // The default sample interval is longer than the flow: its bytes still reach the per-path counters,
        // through the last sample taken when the gateway closes the upstream.
        try (GatewayProcess gw = gateway("metrics.path-sample-interval = 5s")) {
            long[] r = SourceService.download(tb, tb.client(), new InetSocketAddress(tb.get("DST_IP"), SOURCE_PORT));
            assertEquals(DOWNLOAD_BYTES, r[0]);
            double mbit = r[0] * 8.0 / 1000.0 / r[1];
            System.out.printf("one download through the gateway over 2 x 20 Mbit/s: %.1f Mbit/s (%.0f %% of 40)%n",
                    mbit, mbit / 40 * 100);
            gw.awaitLine("outcome=relayed");
            Metrics m = Metrics.scrape(tb, tb.gw(), METRICS);
            for (int link = 1; link <= 2; link++) {
                String path = "path=\"" + tb.get("GW_WAN" + link + "_IP") + " -> " + tb.get("SRV_WAN" + link + "_IP");
                assertTrue(m.sum("mpgw_gateway_path_bytes_total", path, "direction=\"received\"") > 1 << 20,
                        "link " + link + ": " + m);
            }
            double received = m.sum("mpgw_gateway_path_bytes_total", "direction=\"received\"");
            assertTrue(received >= DOWNLOAD_BYTES, "the paths received " + received + " bytes: " + m);
        }
    }

    /** The acceptance test: curl fetches a 50 MB file from an HTTP server behind router B. */
    @Test
    void curlFetchesA50MbFileIntact() throws Exception {
        Path site = java.nio.file.Files.createDirectories(work.resolve("site"));
        Path file = site.resolve("big.bin");
        byte[] chunk = new byte[1 << 20];
        java.util.Random random = new java.util.Random(50);
        try (var out = java.nio.file.Files.newOutputStream(file)) {
            for (int i = 0; i < 50; i++) {
                random.nextBytes(chunk);
                out.write(chunk);
            }
        }
        Path fetched = work.resolve("fetched.bin");
        try (Daemon http = Daemon.startIn(tb.dst(), "http", java.util.List.of("python3", "-u", "-m", "http.server",
                "8080", "--bind", tb.get("DST_IP"), "--directory", site.toString()));
             GatewayProcess gw = gateway("")) {
            http.awaitLine("Serving HTTP", java.time.Duration.ofSeconds(10));
            String stats = tb.exec(tb.client(), "curl -sS --max-time 60 -o " + fetched + " -w '%{size_download} "
                    + "%{speed_download}' http://" + tb.get("DST_IP") + ":8080/big.bin");
            System.out.printf("curl 50 MiB through the gateway: %s bytes at %.1f Mbit/s%n", stats.split(" ")[0],
                    Double.parseDouble(stats.split(" ")[1]) * 8 / 1e6);
            assertEquals(sha256(file), sha256(fetched));
            gw.awaitLine("outcome=relayed");
        }
    }

    private static String sha256(Path file) throws Exception {
        java.security.MessageDigest d = java.security.MessageDigest.getInstance("SHA-256");
        try (var in = java.nio.file.Files.newInputStream(file)) {
            byte[] buf = new byte[1 << 16];
            int n;
            while ((n = in.read(buf)) > 0) {
                d.update(buf, 0, n);
            }
        }
        return java.util.HexFormat.of().formatHex(d.digest());
    }

    /** The client's FIN arrives while the upstream is set up; the whole response must still reach it. */
    @Test
    void aClientThatHalfClosesAtOnceGetsTheWholeResponse() throws Exception {
        try (GatewayProcess gw = gateway("")) {
            long[] r = SourceService.download(tb, tb.client(), new InetSocketAddress(tb.get("DST_IP"), SOURCE_PORT),
                    true);
            assertEquals(DOWNLOAD_BYTES, r[0]);
            assertTrue(gw.awaitLine("outcome=relayed").contains("down=" + DOWNLOAD_BYTES));
        }
    }

    /** A flow with no bytes either way for timeouts.idle is closed. */
    @Test
    void anIdleFlowIsClosed() throws Exception {
        try (GatewayProcess gw = gateway("timeouts.idle = 1s");
             Socket s = EchoTransfer.connect(tb, tb.client(), echo)) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write(42);
            assertEquals(42, s.getInputStream().read());
            long start = System.nanoTime();
            assertEquals(-1, s.getInputStream().read(), "closed by the gateway");
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            System.out.println("idle flow closed after " + millis + " ms (timeouts.idle 1 s)");
            assertTrue(millis >= 800, "closed after " + millis + " ms");
            // 1007-1011 ms measured under the test lock.
            assertTrue(millis < 1_250, "closed only after " + millis + " ms");
            gw.awaitLine("outcome=relayed");
        }
    }

    /**
     * The destination resets an upload after 1 MB. The reset must reach the client at once: router B's MPTCP
     * socket, closed without a reset, goes on taking the upload into its orphaned receive queue (8 MB and more per
     * flow on 6.18) over the links the next flow needs, and the client's writes go on for the 10 s drain limit.
     * One thread only: a reader beside the writer could consume the client socket's ECONNRESET and see an EOF.
     */
    @Test
    void aDestinationsResetOfAnUploadReachesTheClientAsAResetAtOnce() throws Exception {
        try (GatewayProcess gw = gateway("");
             Socket s = EchoTransfer.connect(tb, tb.client(),
                     new InetSocketAddress(tb.get("DST_IP"), RESET_UPLOAD_PORT))) {
            byte[] chunk = new byte[64 * 1024];
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            long written = 0;
            IOException ended = null;
            try {
                while (written < (256L << 20) && System.nanoTime() < deadline) {
                    s.getOutputStream().write(chunk);
                    written += chunk.length;
                }
            } catch (IOException e) {
                ended = e;
            }
            long failedAt = System.nanoTime();
            assertNotNull(ended, "the upload was never stopped: " + written + " bytes written");
            long millis = TimeUnit.NANOSECONDS.toMillis(failedAt - resetsUpload.awaitReset());
            System.out.println("destination reset an upload: the client's write failed " + millis + " ms later ("
                    + ended.getMessage() + ") after " + written + " bytes");
            // 2-7 ms measured under the test lock (docs/gateway.md: 4 ms); the failure this guards against is the
            // 10 s drain. 5x the worst seen is 35 ms; 50 leaves room for a scheduling hiccup on a shared machine.
            assertTrue(millis < 50, "the reset took " + millis + " ms to reach the client");
            gw.awaitLine("outcome=relayed");
        }
    }

    /** A download the destination resets after 1 MB must not look complete to the client: it ends in a reset. */
    @Test
    void aDestinationsResetOfADownloadReachesTheClientAsAReset() throws Exception {
        try (GatewayProcess gw = gateway("");
             Socket s = EchoTransfer.connect(tb, tb.client(),
                     new InetSocketAddress(tb.get("DST_IP"), RESET_DOWNLOAD_PORT))) {
            s.setSoTimeout(15_000);
            byte[] buf = new byte[64 * 1024];
            long[] received = {0};
            SocketException e = assertThrows(SocketException.class, () -> {
                int n;
                while ((n = s.getInputStream().read(buf)) > 0) {
                    received[0] += n;
                }
            }, "the download ended with a clean EOF");
            System.out.println("destination reset a download: the client got " + received[0] + " bytes, then " + e);
            assertTrue(e.getMessage().contains("reset"), "expected a reset, got " + e);
            resetsDownload.awaitReset();
            gw.awaitLine("outcome=relayed");
        }
    }

    @ParameterizedTest(name = "server {0}")
    @ValueSource(strings = {"mpgw", "dante"})
    void authenticatesWithUsernameAndPassword(String server) throws Exception {
        String auth = "servers = [\"%s:%d\"]\nsocks { username = \"%s\", password = \"%s\" }"
                .formatted(tb.get("SRV_IP"), port(server, true), USER.name(), USER.password());
        try (GatewayProcess gw = gateway(auth)) {
            EchoTransfer.Result r = EchoTransfer.run(tb, tb.client(), echo, 256 << 10, 2);
            assertTrue(r.intact(), r.toString());
            assertTrue(gw.awaitLine("outcome=relayed").contains("server=" + tb.get("SRV_IP") + ":" + port(server, true)));
        }
        try (GatewayProcess gw = gateway(auth.replace(USER.password(), "wrong"))) {
            assertReset(echo);
            assertTrue(gw.awaitLine("outcome=handshake-failed").contains("authentication failed for user 'mpgwtest'"));
        }
    }

    @ParameterizedTest(name = "upstream over IPv{0}")
    @ValueSource(ints = {4, 6})
    void carriesAnIpv6Flow(int upstreamFamily) throws Exception {
        String servers = upstreamFamily == 4 ? "" : "servers = [\"[%s]:%d\", \"[%s]:%d\"]".formatted(
                tb.list("SRV_IPS6").get(0), MPGW_PORT, tb.list("SRV_IPS6").get(1), MPGW_PORT);
        try (GatewayProcess gw = gateway(servers)) {
            InetSocketAddress echo6 = new InetSocketAddress(tb.get("DST_IP6"), ECHO_PORT);
            EchoTransfer.Result r = EchoTransfer.run(tb, tb.client(), echo6, 1 << 20, 3);
            assertTrue(r.intact(), r.toString());
            assertTrue(gw.awaitLine("outcome=relayed").contains("dest=[" + tb.get("DST_IP6") + "]:" + ECHO_PORT));
        }
    }

    /** TPROXY instead of REDIRECT: the listener is transparent and the destination is the socket's local address. */
    @Test
    void carriesAFlowInterceptedWithTproxy() throws Exception {
        String tproxy = "iptables -w -t mangle -%s PREROUTING -i lan0 -p tcp -d " + tb.get("DST_CIDR")
                + " -j TPROXY --on-port 12346 --tproxy-mark 0x1/0x1";
        tb.exec(tb.gw(), "bash " + SourceTree.script("iptables/mpgw-rules") + " remove"
                + " && ip rule add fwmark 0x1/0x1 lookup 100 && ip route add local 0.0.0.0/0 dev lo table 100 && "
                + tproxy.formatted("A"));
        try (GatewayProcess gw = gateway("mode = tproxy\nlisten = [\"0.0.0.0:12346\"]")) {
            EchoTransfer.Result r = EchoTransfer.run(tb, tb.client(), echo, 1 << 20, 4);
            assertTrue(r.intact(), r.toString());
            assertTrue(gw.awaitLine("outcome=relayed").contains("dest=" + tb.get("DST_IP") + ":" + ECHO_PORT));
        } finally {
            tb.exec(tb.gw(), tproxy.formatted("D") + " && ip rule del fwmark 0x1/0x1 lookup 100"
                    + " && ip route del local 0.0.0.0/0 dev lo table 100");
            installRules("");
        }
    }

    @Test
    void refusesAFlowAimedAtTheGatewayItself() throws Exception {
        try (GatewayProcess gw = gateway("")) {
            // Not NATed: the original destination is the listener itself.
            assertReset(new InetSocketAddress(tb.get("GW_LAN_IP"), 12345));
            assertTrue(gw.awaitLine("outcome=loop").contains("redirect loop:"));
        }
    }

    /** Issue 16: any LAN host can make refused flows at will; the WARN is one line per client per interval. */
    @Test
    void refusedFlowsLogOneWarnLinePerClientPerInterval() throws Exception {
        try (GatewayProcess gw = gateway("")) {
            for (int i = 0; i < 20; i++) {
                assertReset(new InetSocketAddress(tb.get("GW_LAN_IP"), 12345));
            }
            gw.awaitLine("outcome=loop");
            Thread.sleep(1000);
            long lines = gw.daemon().lines().stream().filter(l -> l.contains("outcome=loop")).count();
            assertEquals(1, lines, "20 looping flows from one client within 10 s:\n" + gw.daemon().log());
        }
    }

    /** Issue 16: the gateway's flow cap (limits.max-flows-per-client): the flow over it is reset at accept. */
    @Test
    void aFlowOverTheCapIsResetAtOnceAndCountedAsLimit() throws Exception {
        try (GatewayProcess gw = gateway("limits.max-flows-per-client = 2");
             Socket first = EchoTransfer.connect(tb, tb.client(), echo);
             Socket second = EchoTransfer.connect(tb, tb.client(), echo)) {
            // Both admitted before the third connects: connect() returns at the kernel's handshake, and the
            // gateway admits each accepted flow on its own event loop, so without this the third could take the
            // second's place (the second reset, the third waiting for an echo: seen once in CI).
            echoOneByte(first);
            echoOneByte(second);
            long start = System.nanoTime();
            assertReset(echo);
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue(millis < 1_000, "reset after " + millis + " ms");
            assertTrue(gw.awaitLine("reset: limits.max-flows-per-client = 2 reached").contains("flow from "
                    + tb.get("CLIENT_IP")));
            assertTrue(EchoTransfer.over(second, 10_000, 7).intact(), "an admitted flow still works");
            first.close();
            Thread.sleep(500);
            assertTrue(EchoTransfer.run(tb, tb.client(), echo, 10_000, 8).intact(), "a slot frees when a flow ends");
        }
    }

    @ParameterizedTest(name = "server {0}")
    @ValueSource(strings = {"mpgw", "dante"})
    void resetsTheClientAtOnceWhenTheServerRefusesTheConnect(String server) throws Exception {
        try (GatewayProcess gw = GatewayProcess.start(tb.gw(), config(port(server, false), ""), work)) {
            long start = System.nanoTime();
            assertReset(new InetSocketAddress(tb.get("DST_IP"), CLOSED_PORT));
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            System.out.println("refused CONNECT (" + server + "): client saw the reset after " + millis + " ms");
            String line = gw.awaitLine("outcome=refused");
            assertTrue(line.contains(" outcome=refused reply=connection-refused "), line);
            // 103-150 ms measured under the test lock (docs/gateway.md: 81 ms mpgw, 121 ms Dante).
            assertTrue(millis < 750, "reset after " + millis + " ms (the handshake timeout is 10 s)");
        }
    }

    @Test
    void resetsTheClientWhenTheServerStaysSilent() throws Exception {
        String silent = "servers = [\"%s:%d\"]\ntimeouts.handshake = 1s".formatted(tb.get("SRV_IP"), SILENT_PORT);
        try (GatewayProcess gw = gateway(silent)) {
            long start = System.nanoTime();
            assertReset(echo);
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            System.out.println("silent server: client saw the reset after " + millis + " ms");
            assertTrue(gw.awaitLine("outcome=handshake-timeout").contains("timeout after 1000 ms"));
            assertTrue(millis >= 900, "reset after " + millis + " ms, before the 1 s handshake timeout");
            // 1084-1097 ms measured under the test lock (docs/gateway.md: 1.05 s).
            assertTrue(millis < 1_500, "reset only " + millis + " ms after the connect (handshake timeout 1 s)");
        }
    }

    @Test
    void newFlowsUseTheSecondAddressWhenTheFirstIsBlackholed() throws Exception {
        String drop = "iptables -w -%s INPUT -i wan1 -p tcp --dport " + MPGW_PORT + " -j DROP";
        tb.exec(tb.srv(), drop.formatted("I"));
        try (GatewayProcess gw = gateway("")) {
            for (int i = 0; i < 3; i++) {
                long start = System.nanoTime();
                EchoTransfer.Result r = EchoTransfer.run(tb, tb.client(), echo, 64 << 10, 10 + i);
                long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                System.out.println("first address blackholed, flow " + i + ": " + millis + " ms, " + r);
                assertTrue(r.intact(), r.toString());
                // Measured under the test lock: the first flow 400-415 ms (it waits out the 250 ms race delay), the
                // next ones 33-43 ms, as bad-server memory sends them to the second address first.
                long bound = i == 0 ? 1_000 : 250;
                assertTrue(millis < bound, "flow " + i + " took " + millis + " ms (bound " + bound + " ms)");
            }
            List<String> flows = gw.daemon().awaitLines("outcome=relayed", 3, java.time.Duration.ofSeconds(10));
            flows.forEach(f -> assertTrue(f.contains("server=" + tb.list("SRV_IPS").get(1)), f));
            // Bad-server memory: after the first flow lost the race, the blackholed address is tried last.
            Metrics m = Metrics.scrape(tb, tb.gw(), METRICS);
            assertEquals(3, m.sum("mpgw_gateway_upstream_connect_seconds_count",
                    "server=\"" + tb.list("SRV_IPS").get(1)), m.toString());
        } finally {
            tb.exec(tb.srv(), drop.formatted("D"));
        }
    }

    @Test
    void noReachableServerResetsTheClient() throws Exception {
        String closed = "servers = [\"%s:1099\", \"%s:1099\"]".formatted(tb.list("SRV_IPS").get(0),
                tb.list("SRV_IPS").get(1));
        try (GatewayProcess gw = gateway(closed)) {
            assertReset(echo);
            String line = gw.awaitLine("outcome=upstream-unreachable");
            assertTrue(line.contains("no socks-server reachable: " + tb.list("SRV_IPS").get(0) + ":1099 ("), line);
            assertTrue(line.contains("Connection refused"), line);
        }
    }

    @Test
    void newFlowsWorkWhileTheFirstLinkIsDown() throws Exception {
        tb.link(1, false);
        try (GatewayProcess gw = gateway("")) {
            EchoTransfer.Result r = EchoTransfer.run(tb, tb.client(), echo, 256 << 10, 20);
            assertTrue(r.intact(), r.toString());
            assertTrue(gw.awaitLine("outcome=relayed").contains("server=" + tb.list("SRV_IPS").get(1)));
        } finally {
            tb.link(1, true);
        }
    }

    @Test
    void aFlowSurvivesItsFirstLinkDyingMidTransferAndUsesItAgainWhenItReturns() throws Exception {
        String wan1 = tb.get("GW_WAN1_IP");
        try (GatewayProcess gw = gateway("")) {
            Socket s = EchoTransfer.connect(tb, tb.client(), echo);
            CompletableFuture<EchoTransfer.Result> transfer = CompletableFuture.supplyAsync(() -> {
                try {
                    return EchoTransfer.over(s, 24 << 20, 30);
                } catch (IOException | InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            // Mid-transfer: once link 1 has carried 1 MiB of the flow.
            Subflows.await(tb, tb.gw(), MPGW_PORT, m -> m.getOrDefault(wan1, 0L) > 1 << 20,
                    "link 1 to carry 1 MiB of the flow", 10);
            tb.link(1, false);
            try {
                Thread.sleep(2000); // the outage itself: 2 s without link 1, not a wait for readiness
                long before = Subflows.bytesAckedByLocalAddress(tb, tb.gw(), MPGW_PORT).getOrDefault(wan1, 0L);
                tb.link(1, true);
                long up = System.nanoTime();
                long carried = 0;
                while (carried < 256 << 10 && System.nanoTime() - up < TimeUnit.SECONDS.toNanos(10)) {
                    Thread.sleep(100);
                    carried = Subflows.bytesAckedByLocalAddress(tb, tb.gw(), MPGW_PORT).getOrDefault(wan1, 0L) - before;
                }
                System.out.println("link 1 back after a 2 s outage: it carried " + carried + " bytes within "
                        + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - up) + " ms");
                assertTrue(carried >= 256 << 10, "link 1 carried only " + carried + " bytes after coming back");
                EchoTransfer.Result r = transfer.get(60, TimeUnit.SECONDS);
                System.out.println("link 1 down for 2 s mid-transfer: " + r);
                assertTrue(r.intact(), r.toString());
            } finally {
                tb.link(1, true);
            }
            gw.awaitLine("outcome=relayed");
        }
    }

    @Test
    void theMarkKeepsTheGatewaysOwnUpstreamOutOfTheRules() throws Exception {
        // Intercept the router's own TCP too, without naming the servers: only the mark can keep the upstream out.
        installRules("--local-output");
        try {
            try (GatewayProcess gw = gateway("upstream.mark = \"0x2a\"")) {
                EchoTransfer.Result r = EchoTransfer.run(tb, tb.client(), echo, 256 << 10, 40);
                assertTrue(r.intact(), r.toString());
                gw.awaitLine("outcome=relayed");
            }
            try (GatewayProcess gw = gateway("upstream.mark = 0")) {
                assertReset(echo);
                assertTrue(gw.awaitLine("outcome=loop").contains("the gateway's own upstream was intercepted"));
            }
        } finally {
            installRules("");
        }
    }

    @Test
    void checkPassesOnAGoodSetupAndNamesTheFixWhenTheRulesAreMissing() throws Exception {
        // Router B announces every link, so a connection to either server address gets both paths.
        tb.exec(tb.srv(), "bash " + SourceTree.script("iptables/mpgw-endpoints") + " --role server --wan wan1 --wan wan2");
        Path config = work.resolve("check.conf");
        java.nio.file.Files.writeString(config, config(""));
        Daemon good = Daemon.startIn(tb.gw(), "check", Daemon.java("mpgw.gateway.check.CheckMain", "--config",
                config.toString()));
        assertEquals(0, good.awaitExit(java.time.Duration.ofSeconds(60)), good.log());
        assertTrue(good.log().contains("OK   mptcp " + tb.get("SRV_IP") + ":" + MPGW_PORT + ": MPTCP with 2 subflows"),
                good.log());
        tb.exec(tb.gw(), "bash " + SourceTree.script("iptables/mpgw-rules") + " remove");
        try {
            Daemon bad = Daemon.startIn(tb.gw(), "check", Daemon.java("mpgw.gateway.check.CheckMain", "--config",
                    config.toString()));
            assertEquals(1, bad.awaitExit(java.time.Duration.ofSeconds(60)), bad.log());
            assertTrue(bad.log().contains("FAIL rules: no mpgw interception rules (nft table inet mpgw or iptables"
                    + " chain MPGW); fix: iptables/mpgw-rules install --port 12345 --mark 0x2a"), bad.log());
            assertTrue(bad.log().contains("1 failed"), bad.log());
        } finally {
            installRules("");
        }
        // Rules that skip another mark than the gateway sets would intercept its own upstream under --local-output.
        installRules("--mark 0x2b");
        try {
            Daemon wrongMark = Daemon.startIn(tb.gw(), "check", Daemon.java("mpgw.gateway.check.CheckMain", "--config",
                    config.toString()));
            assertEquals(1, wrongMark.awaitExit(java.time.Duration.ofSeconds(60)), wrongMark.log());
            assertTrue(wrongMark.log().contains("FAIL rules: nft rules do not skip packets marked 0x2a"
                    + " (upstream.mark); fix: iptables/mpgw-rules install --port 12345 --mark 0x2a"), wrongMark.log());
        } finally {
            installRules("");
        }
        // Without limits for extra subflows every connection stays on one path: two checks say so.
        String limits = tb.exec(tb.gw(), "ip mptcp limits show").trim();
        tb.exec(tb.gw(), "ip mptcp limits set subflows 0 add_addr_accepted 0");
        try {
            Daemon onePath = Daemon.startIn(tb.gw(), "check", Daemon.java("mpgw.gateway.check.CheckMain", "--config",
                    config.toString()));
            assertEquals(1, onePath.awaitExit(java.time.Duration.ofSeconds(60)), onePath.log());
            assertTrue(onePath.log().contains("FAIL path-manager: limits subflows 0 add_addr_accepted 0"), onePath.log());
            assertTrue(onePath.log().contains("FAIL mptcp " + tb.get("SRV_IP") + ":" + MPGW_PORT
                    + ": MPTCP with 1 subflow(s), expected 2"), onePath.log());
        } finally {
            tb.exec(tb.gw(), "ip mptcp limits set " + limits);
        }
    }

    /** The connection was accepted (by the REDIRECT), then reset by the gateway: reading fails with a reset. */
    /**
     * Connects from the LAN client and expects a reset. The reset may come before connect() returns: the gateway
     * resets at accept, and when its RST arrives before the JDK reads SO_ERROR the connect itself fails with it.
     */
    /** One byte through the echo on {@code s}: the flow is admitted and relayed. */
    private static void echoOneByte(Socket s) throws Exception {
        s.setSoTimeout(10_000);
        s.getOutputStream().write(42);
        s.getOutputStream().flush();
        assertEquals(42, s.getInputStream().read(), "the echo of an admitted flow");
    }

    private void assertReset(InetSocketAddress target) throws Exception {
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
