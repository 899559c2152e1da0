package mpgw.gateway.udp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code udp.mode = associate} against Dante (danted): RFC 1928 UDP ASSOCIATE, control connection over MPTCP. */
class AssociateModeTest {
    private static UdpGatewayFixture f;

    @BeforeAll
    static void setUp() throws Exception {
        f = UdpGatewayFixture.start("associate", "");
    }

    @AfterAll
    static void tearDown() {
        if (f != null) {
            f.close();
        }
    }

    @Test
    void digOverIpv4AndIpv6IsAnsweredThroughDante() throws Exception {
        String v4 = f.dig("@" + f.bed.get("DST_IP") + " " + UdpGatewayFixture.DNS_NAME + " A +short");
        assertEquals(UdpGatewayFixture.DNS_ANSWER, v4.trim(), f.logs());
        String v6 = f.dig("@" + f.bed.get("DST_IP6") + " " + UdpGatewayFixture.DNS_NAME + " AAAA +short");
        assertEquals("2001:db8::1", v6.trim(), f.logs());
    }

    @Test
    void ednsAnswerLargerThan1400BytesArrivesWhole() throws Exception {
        String out = f.dig("@" + f.bed.get("DST_IP") + " big.test TXT +bufsize=4096 +ignore");
        Matcher size = Pattern.compile("MSG SIZE\\s+rcvd: (\\d+)").matcher(out);
        assertTrue(size.find(), out);
        assertTrue(Integer.parseInt(size.group(1)) > 1400, out);
        assertTrue(!out.contains(" tc"), out);
    }

    @Test
    void hundredClientSocketsEachGetTheirOwnAssociation() throws Exception {
        InetSocketAddress dns = new InetSocketAddress(f.bed.get("DST_IP"), 53);
        double before = f.counter("mpgw.gateway.udp.sessions");
        // A new socket may get the port of a session an earlier test left open; that session is reused.
        double liveBefore = f.gauge("mpgw.gateway.udp.sessions.active");
        long start = System.nanoTime();
        int answered = f.bed.call("client", () -> {
            int ok = 0;
            for (int i = 0; i < 100; i++) {
                try (DatagramSocket s = new DatagramSocket()) {
                    s.setSoTimeout(5000);
                    if (DnsQuery.ask(s, dns, i, "a" + i + "." + UdpGatewayFixture.DNS_NAME) > 0) {
                        ok++;
                    }
                }
            }
            return ok;
        });
        System.out.printf("udp associate (Dante): 100 sockets, %d answered in %d ms%n", answered,
                (System.nanoTime() - start) / 1_000_000);
        assertEquals(100, answered);
        double opened = f.counter("mpgw.gateway.udp.sessions") - before;
        assertTrue(opened <= 100 && opened >= 100 - liveBefore, opened + " sessions opened, " + liveBefore
                + " were open before");
    }
}
