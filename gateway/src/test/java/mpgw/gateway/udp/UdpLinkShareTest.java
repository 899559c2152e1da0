package mpgw.gateway.udp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import mpgw.net.ConnectionCaps;
import org.junit.jupiter.api.Test;

/** The share's arithmetic, on a simulated clock: what a flooding client gets alone, beside others, and after. */
class UdpLinkShareTest {
    private static final InetAddress A = address("192.168.70.2");
    private static final InetAddress B = address("192.168.70.3");
    private static final long MS = 1_000_000L;

    private static InetAddress address(String a) {
        try {
            return InetAddress.getByName(a);
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Offers 1,000-byte datagrams from {@code client} at 4x {@code rate} for {@code millis} from {@code start}. */
    private static long passed(UdpLinkShare share, InetAddress client, long rate, long start, long millis) {
        long passed = 0;
        long every = 1_000_000_000L * 1000 / (4 * rate);
        for (long t = start; t < start + millis * MS; t += every) {
            if (share.admit(client, 1000, t)) {
                passed += 1000;
            }
        }
        return passed;
    }

    @Test
    void aFlooderAloneGetsTheLinksRate() {
        UdpLinkShare share = new UdpLinkShare(5_000_000, null);
        long bytes = passed(share, A, 5_000_000, 0, 2_000);
        // 2 s at 5 MB/s plus the first burst (64 KiB or 50 ms of the rate, 250 KB)
        assertTrue(bytes >= 9_900_000 && bytes <= 10_260_000, "passed " + bytes);
    }

    @Test
    void aHostWithTcpFlowsTakesHalfFromAUdpFlooder() {
        ConnectionCaps tcp = new ConnectionCaps(100, 100);
        assertEquals(null, tcp.tryAcquire(B));
        UdpLinkShare share = new UdpLinkShare(5_000_000, tcp);
        long bytes = passed(share, A, 5_000_000, 0, 2_000);
        assertTrue(bytes >= 4_900_000 && bytes <= 5_300_000, "half the links, passed " + bytes);
        tcp.release(B);
        long after = passed(share, A, 5_000_000, 2_000 * MS, 2_000);
        assertTrue(after >= 9_700_000, "the whole links once B's flows ended, passed " + after);
    }

    @Test
    void twoUdpHostsShareAndAQuietOneIsForgotten() {
        UdpLinkShare share = new UdpLinkShare(4_000_000, null);
        long a = 0;
        long bytesB = 0;
        long every = 1_000_000_000L * 1000 / 16_000_000; // each offers 16 MB/s
        for (long t = 0; t < 2_000 * MS; t += every) {
            a += share.admit(A, 1000, t) ? 1000 : 0;
            bytesB += share.admit(B, 1000, t) ? 1000 : 0;
        }
        assertTrue(a >= 3_900_000 && a <= 4_300_000, "A's half: " + a);
        assertTrue(bytesB >= 3_900_000 && bytesB <= 4_300_000, "B's half: " + bytesB);
        assertEquals(2, share.tracked());
        share.admit(A, 1000, 3_100 * MS);
        assertEquals(1, share.tracked(), "B, quiet for over a second, is forgotten");
    }

    @Test
    void offLetsEverythingPass() {
        for (int i = 0; i < 10_000; i++) {
            assertTrue(UdpLinkShare.OFF.admit(A, 65_000, i));
        }
    }
}
