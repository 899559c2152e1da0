package mpgw.gateway.udp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code udp.mode = stream} against mpgw's socks-server, through real TPROXY rules on the two-link testbed. */
class StreamModeTest {
    private static UdpGatewayFixture f;

    @BeforeAll
    static void setUp() throws Exception {
        f = UdpGatewayFixture.start("stream", "max-datagram-size = 8000\ndeny-destinations = [\"192.168.80.99/32\"]");
    }

    @AfterAll
    static void tearDown() {
        if (f != null) {
            f.close();
        }
    }

    @Test
    void digOverIpv4AndIpv6IsAnsweredFromTheDnsServer() throws Exception {
        String v4 = f.dig("@" + f.bed.get("DST_IP") + " " + UdpGatewayFixture.DNS_NAME + " A +short");
        assertEquals(UdpGatewayFixture.DNS_ANSWER, v4.trim(), f.logs());
        String v6 = f.dig("@" + f.bed.get("DST_IP6") + " " + UdpGatewayFixture.DNS_NAME + " AAAA +short");
        assertEquals("2001:db8::1", v6.trim());
        assertTrue(f.counter("mpgw.gateway.udp.datagrams", "direction", "up") >= 2);
        assertTrue(f.counter("mpgw.gateway.udp.datagrams", "direction", "down") >= 2);
    }
}
