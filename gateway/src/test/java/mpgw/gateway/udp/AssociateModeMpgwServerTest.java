package mpgw.gateway.udp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code udp.mode = associate} against mpgw's own socks-server: the control connection is really MPTCP. */
class AssociateModeMpgwServerTest {
    private static UdpGatewayFixture f;

    @BeforeAll
    static void setUp() throws Exception {
        f = UdpGatewayFixture.start("associate", UdpGatewayFixture.Server.MPGW, "");
    }

    @AfterAll
    static void tearDown() {
        if (f != null) {
            f.close();
        }
    }

    @Test
    void digIsAnsweredAndTheControlConnectionIsMptcp() throws Exception {
        String v4 = f.dig("@" + f.bed.get("DST_IP") + " " + UdpGatewayFixture.DNS_NAME + " A +short");
        assertEquals(UdpGatewayFixture.DNS_ANSWER, v4.trim(), f.logs());
        String v6 = f.dig("@" + f.bed.get("DST_IP6") + " " + UdpGatewayFixture.DNS_NAME + " AAAA +short");
        assertEquals("2001:db8::1", v6.trim());
        String mptcp = f.bed.exec("gw", "ss -HM state established dst " + f.bed.get("SRV_IP") + ":1080");
        assertTrue(!mptcp.isBlank(), "an MPTCP control connection to the server is open");
    }
}
