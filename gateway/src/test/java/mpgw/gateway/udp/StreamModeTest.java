package mpgw.gateway.udp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code udp.mode = stream} against mpgw's socks-server, through real TPROXY rules on the two-link testbed. */
class StreamModeTest {
    private static UdpGatewayFixture f;

    @BeforeAll
    static void setUp() throws Exception {
        f = UdpGatewayFixture.start("stream", "max-datagram-size = 8000\ndestinations.deny = [\"192.168.80.99/32\"]");
    }

    @AfterAll
    static void tearDown() {
        if (f != null) {
            f.close();
        }
    }

    @Test
    void digOverIpv4AndIpv6IsAnsweredFromTheDnsServer() throws Exception {
        long connectsBefore = f.timerCount("mpgw.gateway.upstream.connect");
        String v4 = f.dig("@" + f.bed.get("DST_IP") + " " + UdpGatewayFixture.DNS_NAME + " A +short");
        assertEquals(UdpGatewayFixture.DNS_ANSWER, v4.trim(), f.logs());
        String v6 = f.dig("@" + f.bed.get("DST_IP6") + " " + UdpGatewayFixture.DNS_NAME + " AAAA +short");
        assertEquals("2001:db8::1", v6.trim());
        assertTrue(f.counter("mpgw.gateway.udp.datagrams", "direction", "up") >= 2);
        assertTrue(f.counter("mpgw.gateway.udp.datagrams", "direction", "down") >= 2);
        // The UDP half's upstream connects are counted with the TCP half's (one Upstreams for both).
        assertTrue(f.timerCount("mpgw.gateway.upstream.connect") > connectsBefore,
                "no upstream connect counted for the UDP sessions");
    }

    @Test
    void thousandQueriesFromManySourcePortsAreAllAnswered() throws Exception {
        Path batch = f.dir.resolve("queries.txt");
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 1000; i++) {
            b.append('@').append(f.bed.get("DST_IP")).append(" q").append(i).append('.')
                    .append(UdpGatewayFixture.DNS_NAME).append(" A +short +tries=3 +time=5\n");
        }
        Files.writeString(batch, b.toString());
        double sessionsBefore = f.counter("mpgw.gateway.udp.sessions");
        long start = System.nanoTime();
        String out = f.bed.exec("client", "timeout 120 dig -f " + batch);
        long millis = (System.nanoTime() - start) / 1_000_000;
        long answered = Arrays.stream(out.split("\n")).filter(UdpGatewayFixture.DNS_ANSWER::equals).count();
        double sessions = f.counter("mpgw.gateway.udp.sessions") - sessionsBefore;
        System.out.printf("udp stream: 1000 dig queries, %d answered in %d ms, %.0f new sessions, %.0f active%n",
                answered, millis, sessions, f.gauge("mpgw.gateway.udp.sessions.active"));
        assertEquals(1000, answered);
        assertTrue(sessions >= 500, "dig used many source ports: " + sessions + " sessions");
    }

    @Test
    void ednsAnswerLargerThan1400BytesArrivesWhole() throws Exception {
        String out = f.dig("@" + f.bed.get("DST_IP") + " big.test TXT +bufsize=4096 +ignore");
        Matcher size = Pattern.compile("MSG SIZE\\s+rcvd: (\\d+)").matcher(out);
        assertTrue(size.find(), out);
        int bytes = Integer.parseInt(size.group(1));
        System.out.printf("udp stream: EDNS answer of %d bytes%n", bytes);
        assertTrue(bytes > 1400, out);
        assertTrue(out.contains("flags: qr aa rd") || out.contains("flags: qr rd"), out);
        assertTrue(!out.contains(" tc"), "not truncated: " + out);
        long records = Pattern.compile("(?m)^big\\.test\\.\\s+\\d+\\s+IN\\s+TXT").matcher(out).results().count();
        assertEquals(UdpGatewayFixture.BIG_TXT_RECORDS, records, out);
    }

    /**
     * One client socket is one session: its first query opens the carrier (MPTCP connect and FWD UDP handshake),
     * the 19 after it reuse it. Asserted by the session counter (exactly one new session) and by time: the
     * median of the later queries is well below the first (docs/udp.md: 3.2-8.3 ms against 0.33-0.46 ms).
     */
    @Test
    void oneSocketsFirstQueryPaysTheStreamSetupLaterOnesDoNot() throws Exception {
        InetSocketAddress dns = new InetSocketAddress(f.bed.get("DST_IP"), 53);
        double sessionsBefore = f.counter("mpgw.gateway.udp.sessions");
        long[] nanos = f.bed.call("client", () -> {
            try (DatagramSocket s = new DatagramSocket()) {
                s.setSoTimeout(5000);
                long[] r = new long[20];
                for (int i = 0; i < r.length; i++) {
                    r[i] = DnsQuery.ask(s, dns, 100 + i, "t" + i + "." + UdpGatewayFixture.DNS_NAME);
                }
                return r;
            }
        });
        double sessions = f.counter("mpgw.gateway.udp.sessions") - sessionsBefore;
        long[] later = Arrays.copyOfRange(nanos, 1, nanos.length);
        Arrays.sort(later);
        long median = later[later.length / 2];
        System.out.printf("udp stream: first query %.2f ms (MPTCP connect + FWD UDP handshake), later median %.2f ms,"
                + " %.0f new session(s)%n", nanos[0] / 1e6, median / 1e6, sessions);
        assertTrue(Arrays.stream(nanos).allMatch(n -> n > 0), "every query answered: " + Arrays.toString(nanos));
        assertEquals(1, sessions, "the later queries reused the first one's session (and its carrier)");
        assertTrue(median * 2 < nanos[0], "later queries skip the setup: median " + median / 1e6 + " ms, first "
                + nanos[0] / 1e6 + " ms: " + Arrays.toString(nanos));
    }

    @Test
    void oversizedDeniedAndLoopingDatagramsAreDroppedAndCountedWithoutDisturbingASession() throws Exception {
        InetSocketAddress dns = new InetSocketAddress(f.bed.get("DST_IP"), 53);
        double oversized = f.drops(UdpDrop.OVERSIZED);
        double denied = f.drops(UdpDrop.DENIED);
        f.bed.call("client", () -> {
            try (DatagramSocket s = new DatagramSocket()) {
                s.setSoTimeout(5000);
                assertTrue(DnsQuery.ask(s, dns, 1, "before." + UdpGatewayFixture.DNS_NAME) > 0);
                s.send(new DatagramPacket(new byte[9000], 9000, dns));
                s.send(new DatagramPacket(new byte[10], 10, new InetSocketAddress("192.168.80.99", 53)));
                s.send(new DatagramPacket(new byte[10], 10, new InetSocketAddress(f.bed.get("GW_LAN_IP"), 12346)));
                assertTrue(DnsQuery.ask(s, dns, 2, "after." + UdpGatewayFixture.DNS_NAME) > 0,
                        "the session still works");
            }
            return null;
        });
        assertEquals(oversized + 1, f.drops(UdpDrop.OVERSIZED));
        assertEquals(denied + 2, f.drops(UdpDrop.DENIED), "the denied prefix and the listener itself");
        assertEquals(UdpGatewayFixture.DNS_ANSWER, f.dig("@" + f.bed.get("DST_IP") + " other."
                + UdpGatewayFixture.DNS_NAME + " A +short").trim(), "other clients unaffected");
    }
}
