package mpgw.gateway.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import mpgw.testbed.Daemon;
import mpgw.testbed.DanteServer;
import mpgw.testbed.EchoService;
import mpgw.testbed.EchoTransfer;
import mpgw.testbed.GatewayProcess;
import mpgw.testbed.Metrics;
import mpgw.testbed.SocksServerProcess;
import mpgw.testbed.SourceTree;
import mpgw.testbed.Teardown;
import mpgw.testbed.Testbed;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue 19, {@code gateway.socks.pipelined} against a SOCKS5 server that drops pipelined bytes: microsocks (Debian's
 * package, made MPTCP with {@code mptcpize run}) reads each message with one recv and throws away what follows, so
 * it answers the method selection and then waits for a request it already dropped. Through the real kernel: the
 * 2-link testbed, the gateway's nat REDIRECT rules, MPTCP to router B. {@code auto} must carry the first flow
 * intact (one fallback race) and later ones step by step at once; {@code on} must say what happened; {@code off}
 * works as before; against mpgw's server and Dante, {@code auto} keeps pipelining (no race, no second connection).
 */
class PipeliningTest {
    private static final String METRICS = "127.0.0.1:9464";
    private static final int ECHO_PORT = 7000;
    private static final int MICROSOCKS_PORT = 1085;
    private static final int DANTE_PORT = 1080;
    private static final int MPGW_PORT = 1090;
    private static final String FALLBACKS = "mpgw_gateway_socks_pipelining_fallbacks_total";
    private static final String CONNECTS = "mpgw_gateway_upstream_connect_seconds_count";

    @TempDir
    static Path work;
    private static Testbed tb;
    private static final Teardown services = new Teardown();
    private static InetSocketAddress echo;

    @BeforeAll
    static void testbed() throws Exception {
        tb = Testbed.up("mpgwpipe-", "--links", "2", "--rate", "20mbit");
        services.add(tb);
        tb.exec(tb.gw(), "bash " + SourceTree.script("iptables/mpgw-rules") + " install --no-udp --lan "
                + tb.get("LAN_CIDR"));
        Daemon microsocks = Daemon.startIn(tb.srv(), "microsocks", List.of("mptcpize", "run", "microsocks",
                "-i", "0.0.0.0", "-p", String.valueOf(MICROSOCKS_PORT)));
        services.add(microsocks);
        services.add(DanteServer.start(tb.srv(), DANTE_PORT, "out0", null, work.resolve("dante")));
        services.add(SocksServerProcess.start(tb.srv(), """
                server {
                  listen = ["0.0.0.0:%d"]
                  mptcp = required
                  metrics.listen = ""
                  shutdown-grace = 1s
                }
                """.formatted(MPGW_PORT), work));
        services.add(EchoService.start(tb, tb.dst(), new InetSocketAddress("0.0.0.0", ECHO_PORT)));
        echo = new InetSocketAddress(tb.get("DST_IP"), ECHO_PORT);
        awaitListening(tb.srv(), MICROSOCKS_PORT);
    }

    @AfterAll
    static void teardown() {
        services.close();
    }

    private static void awaitListening(String ns, int port) throws Exception {
        for (int i = 0; i < 100; i++) {
            if (tb.exec(ns, "ss -Hltn 'sport = :" + port + "'").contains(":" + port)) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("nothing listens on port " + port + " in " + ns);
    }

    /** One server address (router B's wan1; MPTCP adds the second subflow), so the memory has one key. */
    private static GatewayProcess gateway(int port, String extra) throws Exception {
        return GatewayProcess.start(tb.gw(), """
                gateway {
                  servers = ["%s:%d"]
                  metrics.listen = "%s"
                  %s
                }
                """.formatted(tb.list("SRV_IPS").get(0), port, METRICS, extra), work);
    }

    private static String server(int port) {
        return "server=\"" + tb.list("SRV_IPS").get(0) + ":" + port + "\"";
    }

    /** Connects through the gateway, sends a line and times the echo of all of it: time to first byte (ms). */
    private static Socket echoLine(String line, long[] millis) throws Exception {
        Socket s = EchoTransfer.connect(tb, tb.client(), echo);
        s.setSoTimeout(20_000);
        byte[] sent = line.getBytes(StandardCharsets.US_ASCII);
        long start = System.nanoTime();
        s.getOutputStream().write(sent);
        byte[] back = s.getInputStream().readNBytes(sent.length);
        millis[0] = (System.nanoTime() - start) / 1_000_000;
        assertArrayEquals(sent, back, "the first bytes come back intact");
        return s;
    }

    /**
     * Sends {@code bytes} random bytes and reads as many back before closing. Not {@link EchoTransfer#over}: its
     * half-close makes microsocks close both ends at once (it does not relay a half-close), which cuts the echo
     * still in flight, with or without pipelining.
     */
    private static void assertEchoedIntact(Socket s, int bytes, long seed) throws Exception {
        try (s) {
            byte[] sent = new byte[bytes];
            new java.util.Random(seed).nextBytes(sent);
            var writer = java.util.concurrent.CompletableFuture.runAsync(() -> {
                try {
                    s.getOutputStream().write(sent);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            byte[] back = s.getInputStream().readNBytes(bytes);
            writer.get(30, java.util.concurrent.TimeUnit.SECONDS);
            assertEquals(bytes, back.length, "bytes echoed");
            assertArrayEquals(sent, back, "echoed intact");
        }
    }

    /** Something run while tcpdump watches what router A sends to the socks-server. */
    private interface Flows {
        void run() throws Exception;
    }

    /**
     * Segments of exactly 3 bytes router A sent to {@code port} while {@code flows} ran: a step-by-step
     * handshake's greeting ({@code 05 01 00}) goes alone; a pipelined one leaves in one write with the request
     * behind it (13 bytes or more), and no payload of these tests is 3 bytes long.
     */
    private static long loneGreetings(int port, Flows flows) throws Exception {
        List<String> lines;
        try (Daemon cap = Daemon.startIn(tb.gw(), "tcpdump-" + port, List.of("tcpdump", "-i", "any", "-n", "-l",
                "-U", "tcp dst port " + port))) {
            cap.awaitLine("listening on", Duration.ofSeconds(10));
            flows.run();
            Thread.sleep(1000); // -l -U: what was sent is printed by now
            lines = cap.lines();
        }
        Pattern out = Pattern.compile("\\sOut\\s+IP6?\\s.*length (\\d+)");
        long lone = 0;
        long segments = 0;
        for (String line : lines) {
            Matcher m = out.matcher(line);
            if (m.find() && !m.group(1).equals("0")) {
                segments++;
                lone += m.group(1).equals("3") ? 1 : 0;
            }
        }
        System.out.println("port " + port + ": " + segments + " data segments to the server, " + lone
                + " of 3 bytes (a greeting alone)");
        assertTrue(segments > 0, "tcpdump saw the flows: " + lines);
        return lone;
    }

    @Test
    void autoCarriesTheFirstFlowThroughMicrosocksAndLaterFlowsGoStepByStepAtOnce() throws Exception {
        try (GatewayProcess gw = gateway(MICROSOCKS_PORT, "socks.pipelined = auto")) {
            long lone = loneGreetings(MICROSOCKS_PORT, () -> microsocksFlows(gw));
            assertEquals(3, lone, "the race's step-by-step side, then each later flow, greet alone");
        }
    }

    private static void microsocksFlows(GatewayProcess gw) throws Exception {
        long[] ttfb = new long[1];
        Socket first = echoLine("first bytes of the flow that finds out\n", ttfb);
        System.out.println("microsocks, auto, first flow: time to first byte " + ttfb[0] + " ms");
        assertEchoedIntact(first, 1 << 20, 19);
        assertTrue(ttfb[0] < 2_000, "the first flow waits a few round trips, not the 10 s handshake timeout: "
                + ttfb[0] + " ms");
        String warn = gw.awaitLine("drops pipelined bytes");
        assertTrue(warn.contains("gateway.socks.pipelined = off"), warn);
        Metrics m = Metrics.scrape(tb, tb.gw(), METRICS);
        assertEquals(1, m.sum(FALLBACKS, server(MICROSOCKS_PORT)), m.toString());
        assertEquals(2, m.sum(CONNECTS), "the pipelined connection and the step-by-step one: " + m);

        for (int flow = 2; flow <= 3; flow++) {
            Socket later = echoLine("flow " + flow + "\n", ttfb);
            System.out.println("microsocks, auto, flow " + flow + ": time to first byte " + ttfb[0] + " ms");
            assertEchoedIntact(later, 256 << 10, flow);
        }
        m = Metrics.scrape(tb, tb.gw(), METRICS);
        assertEquals(1, m.sum(FALLBACKS, server(MICROSOCKS_PORT)), "later flows do not race: " + m);
        assertEquals(4, m.sum(CONNECTS), "one connection per later flow: " + m);
        assertEquals(1, gw.daemon().linesContaining("drops pipelined bytes").size(), "one WARN line");
    }

    @Test
    void onAgainstMicrosocksSaysTheServerMayDropPipelinedBytes() throws Exception {
        try (GatewayProcess gw = gateway(MICROSOCKS_PORT, "socks.pipelined = on\ntimeouts.handshake = 2s")) {
            try (Socket s = EchoTransfer.connect(tb, tb.client(), echo)) {
                s.setSoTimeout(10_000);
                s.getOutputStream().write("hello\n".getBytes(StandardCharsets.US_ASCII));
                InputStream in = s.getInputStream();
                assertThrows(IOException.class, () -> {
                    if (in.read() < 0) {
                        throw new IOException("EOF"); // a reset is expected; an EOF also ends the flow
                    }
                });
            }
            String line = gw.awaitLine("outcome=handshake-timeout");
            assertTrue(line.contains("answered the method selection but not the pipelined request within 2000 ms:"
                    + " the server may drop pipelined bytes (microsocks does); set gateway.socks.pipelined = auto"
                    + " or off"), line);
        }
    }

    @Test
    void offAgainstMicrosocksWorksAsBefore() throws Exception {
        try (GatewayProcess gw = gateway(MICROSOCKS_PORT, "socks.pipelined = off")) {
            assertEchoedIntact(EchoTransfer.connect(tb, tb.client(), echo), 1 << 20, 7);
            gw.awaitLine("outcome=relayed");
            Metrics m = Metrics.scrape(tb, tb.gw(), METRICS);
            assertEquals(1, m.sum(CONNECTS), m.toString());
            assertEquals(0, m.sumOrZeroIfNeverRegistered(FALLBACKS), m.toString());
        }
    }

    /** mpgw's server and Dante read pipelined requests: auto races nothing and opens one connection per flow. */
    @ParameterizedTest(name = "server {0}")
    @ValueSource(strings = {"mpgw", "dante"})
    void autoKeepsPipeliningWithServersThatReadPipelinedRequests(String kind) throws Exception {
        int port = kind.equals("mpgw") ? MPGW_PORT : DANTE_PORT;
        try (GatewayProcess gw = gateway(port, "socks.pipelined = auto")) {
            long lone = loneGreetings(port, () -> {
                for (int flow = 1; flow <= 3; flow++) {
                    long[] ttfb = new long[1];
                    Socket s = echoLine("flow " + flow + "\n", ttfb);
                    System.out.println(kind + ", auto, flow " + flow + ": time to first byte " + ttfb[0] + " ms");
                    EchoTransfer.Result r = EchoTransfer.over(s, 256 << 10, flow);
                    assertTrue(r.intact(), r.toString());
                }
            });
            assertEquals(0, lone, "every greeting left with its request: pipelined");
            Metrics m = Metrics.scrape(tb, tb.gw(), METRICS);
            assertEquals(0, m.sumOrZeroIfNeverRegistered(FALLBACKS), m.toString());
            assertEquals(3, m.sum(CONNECTS), "one connection per flow, no step-by-step side: " + m);
            assertTrue(gw.daemon().linesContaining("drops pipelined bytes").isEmpty(), gw.daemon().log());
        }
    }
}
