package mpgw.gateway.udp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import mpgw.server.SocksServer;
import mpgw.testing.Sh;
import org.junit.jupiter.api.Test;

/** While the socks-server is down datagrams are dropped and counted, no session lingers; once it is up, UDP works. */
class StreamModeServerDownTest {
    @Test
    void carrierFailuresAreCountedAndTheNextDatagramTriesAgain() throws Exception {
        try (UdpGatewayFixture f = UdpGatewayFixture.start("stream", UdpGatewayFixture.Server.MPGW,
                "servers = [\"10.1.1.2:1999\"]")) {
            String query = "dig +tries=1 +time=2 @" + f.bed.get("DST_IP") + " " + UdpGatewayFixture.DNS_NAME
                    + " A +short";
            Sh.Result down = f.bed.run("client", query);
            assertNotEquals(0, down.exitCode(), "no answer while nothing listens on 1999: " + down.output());
            assertTrue(f.drops(UdpDrop.CARRIER_FAILED) >= 1, "the query waited for a carrier that failed");
            assertEquals(0, f.gauge("mpgw.gateway.udp.sessions.active"), "the failed session is gone");

            try (SocksServer server = f.mpgwServer(1999)) {
                assertEquals(1, server.boundAddresses().size());
                assertEquals(UdpGatewayFixture.DNS_ANSWER, f.bed.exec("client", query).trim());
            }
        }
    }
}
