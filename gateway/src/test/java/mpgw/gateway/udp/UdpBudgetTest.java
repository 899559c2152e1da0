package mpgw.gateway.udp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.net.InetAddress;
import org.junit.jupiter.api.Test;

/** The budget's arithmetic: session caps per address, bytes per address and in all, the fair share. */
class UdpBudgetTest {
    private static final InetAddress A = address("192.168.70.2");
    private static final InetAddress B = address("192.168.70.3");

    private static InetAddress address(String a) {
        try {
            return InetAddress.getByName(a);
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void sessionsAreCappedPerClientAddressAndFreedWhenTheyEnd() {
        UdpBudget b = new UdpBudget(1000, 1000, 2);
        assertNull(b.openSession(A));
        assertNull(b.openSession(A));
        assertEquals(UdpDrop.CLIENT_SESSIONS, b.openSession(A));
        assertNull(b.openSession(B), "another host still gets sessions");
        b.sessionClosed(A);
        assertNull(b.openSession(A), "a session that ended frees its place");
    }

    @Test
    void bytesAreCappedPerClientAndInAll() {
        UdpBudget b = new UdpBudget(1000, 400, 10);
        assertNull(b.charge(A, 400));
        assertEquals(UdpDrop.CLIENT_BYTES, b.charge(A, 1));
        assertNull(b.charge(B, 100));
        assertEquals(500, b.queued());
        b.refund(A, 400);
        assertNull(b.charge(A, 400), "given back bytes can be queued again");
        UdpBudget small = new UdpBudget(500, 500, 10);
        assertNull(small.charge(A, 200));
        assertNull(small.charge(B, 200));
        assertEquals(UdpDrop.BUDGET, small.charge(B, 101), "the total is a hard cap");
    }

    @Test
    void overHalfTheBudgetAClientMayHoldOnlyItsEqualPart() {
        UdpBudget b = new UdpBudget(1000, 1000, 10);
        assertNull(b.charge(A, 600), "alone, a client may take more than half");
        assertNull(b.charge(B, 100), "a second client finds room");
        assertEquals(UdpDrop.FAIR_SHARE, b.charge(A, 100), "two clients queuing: A holds over 1000 / 2");
        assertNull(b.charge(B, 300), "B is still under its part");
        assertEquals(1000, b.queued());
        assertEquals(UdpDrop.BUDGET, b.charge(B, 1));
        b.refund(B, 400);
        assertNull(b.charge(A, 100), "B's queue drained: A is alone again");
    }

    @Test
    void aClientIsForgottenOnceItHoldsNothing() {
        UdpBudget b = new UdpBudget(1000, 1000, 10);
        b.openSession(A);
        b.charge(A, 10);
        b.charge(B, 10);
        b.sessionClosed(A);
        assertEquals(2, b.clients(), "A's bytes are still queued");
        b.refund(A, 10);
        b.refund(B, 10);
        assertEquals(0, b.clients());
        assertEquals(0, b.queued());
        assertEquals(UdpDrop.CLIENT_SESSIONS, new UdpBudget(1000, 1000, 0).openSession(A));
        assertEquals(0, b.clients(), "a refused session leaves nothing behind");
    }
}
