package mpgw.gateway.udp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.TimeUnit;
import mpgw.server.SocksServer;
import mpgw.testing.Sh;
import org.junit.jupiter.api.Test;

/**
 * While the socks-server is down datagrams are dropped and counted, no session lingers, and the failures are
 * logged as one rate-limited warning (docs/udp.md); once the server is up, UDP works.
 */
class StreamModeServerDownTest {
    /** UdpSessionTable's interval for the carrier-failure warning. */
    private static final long WARNING_INTERVAL_MILLIS = 5_000;
    private static final String WARNING = "carrier failed";

    @Test
    void carrierFailuresAreCountedLoggedOnceAndTheNextDatagramTriesAgain() throws Exception {
        try (LogCapture log = LogCapture.open();
             UdpGatewayFixture f = UdpGatewayFixture.start("stream", UdpGatewayFixture.Server.MPGW,
                     "servers = [\"10.1.1.2:1999\"]")) {
            // Many failing queries, each from a socket of its own (a session each), at once.
            int queries = 30;
            long start = System.nanoTime();
            sendQueries(f, queries, 1);
            double failed = awaitCarrierFailures(f, queries);
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            System.out.printf("udp stream, server down: %d queries failed in %d ms; warnings: %s%n", queries, millis,
                    log.warnings(WARNING));
            assertEquals(queries, failed, "one carrier_failed drop per query");
            assertTrue(millis < WARNING_INTERVAL_MILLIS - 1_000, "the queries took " + millis + " ms to fail, too"
                    + " close to the " + WARNING_INTERVAL_MILLIS + " ms warning interval to count warnings");
            // The drops are counted after the warning (UdpSession.closed): every failure has been logged or not.
            List<String> warnings = log.warnings(WARNING);
            assertEquals(1, warnings.size(), "one rate-limited warning for " + queries + " failures: " + warnings);
            assertTrue(warnings.get(0).contains("udp session client=") && !warnings.get(0).contains(" more like it"),
                    warnings.get(0));
            long gone = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (f.gauge("mpgw.gateway.udp.sessions.active") > 0 && System.nanoTime() < gone) {
                Thread.sleep(20); // the table forgets a session right after dropping its datagrams
            }
            assertEquals(0, f.gauge("mpgw.gateway.udp.sessions.active"), "the failed sessions are gone");

            // A failure after the interval is logged again, with the number of warnings it stood for.
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WARNING_INTERVAL_MILLIS + 5_000);
            int sent = queries;
            while (log.warnings(WARNING).size() < 2 && System.nanoTime() < deadline) {
                sendQueries(f, 1, 1000 + sent);
                sent++;
                awaitCarrierFailures(f, sent);
                Thread.sleep(200); // one query per 200 ms, bounded by the deadline
            }
            List<String> again = log.warnings(WARNING);
            assertEquals(2, again.size(), "a failure after the interval is logged: " + again);
            long suppressed = sent - 1 - 1; // every failure but the first and the one logged now
            assertTrue(again.get(1).contains("(and " + suppressed + " more like it)"), again.get(1));

            String query = "dig +tries=1 +time=2 @" + f.bed.get("DST_IP") + " " + UdpGatewayFixture.DNS_NAME
                    + " A +short";
            Sh.Result down = f.bed.run("client", query);
            assertNotEquals(0, down.exitCode(), "no answer while nothing listens on 1999: " + down.output());
            try (SocksServer server = f.mpgwServer(1999)) {
                assertEquals(1, server.boundAddresses().size());
                assertEquals(UdpGatewayFixture.DNS_ANSWER, f.bed.exec("client", query).trim());
            }
        }
    }

    /**
     * Sends {@code count} DNS queries from the client namespace, each from a new socket on a port of its own
     * (20000 + id): an ephemeral port the kernel hands out twice would put two queries in one session, one
     * warning for two drops, and the count of suppressed warnings off by one.
     */
    private static void sendQueries(UdpGatewayFixture f, int count, int firstId) throws Exception {
        InetSocketAddress dns = new InetSocketAddress(f.bed.get("DST_IP"), 53);
        f.bed.call("client", () -> {
            for (int i = 0; i < count; i++) {
                try (DatagramSocket s = new DatagramSocket(20_000 + firstId + i)) {
                    byte[] q = DnsQuery.a(firstId + i, "down" + (firstId + i) + "." + UdpGatewayFixture.DNS_NAME);
                    s.send(new DatagramPacket(q, q.length, dns));
                }
            }
            return null;
        });
    }

    /** Waits (10 s at most) until {@code n} datagrams were dropped as carrier_failed; returns the count. */
    private static double awaitCarrierFailures(UdpGatewayFixture f, int n) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (f.drops(UdpDrop.CARRIER_FAILED) < n && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        double dropped = f.drops(UdpDrop.CARRIER_FAILED);
        assertTrue(dropped >= n, "only " + dropped + " of " + n + " datagrams dropped as carrier_failed");
        return dropped;
    }
}
