package mpgw.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import mpgw.testing.Netns;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Connect failures mapped to REP by the kernel's own answers, inside a namespace this test owns (no packet
 * leaves it): no route at all (ENETUNREACH, 0x03), an "unreachable" route (EHOSTUNREACH, 0x04), and a
 * neighbour that swallows SYNs (connect timeout, 0x04).
 */
class ConnectFailureRepliesTest {
    private static Netns ns;
    private static Netns peer;
    private static TestServer server;

    @BeforeAll
    static void start() throws Exception {
        ns = Netns.create("mpgwsrv-rep");
        peer = Netns.create("mpgwsrv-peer");
        Netns.link(ns, "v0", "10.97.0.1/24", peer, "v0", "10.97.0.2/24");
        // SYNs to 10.97.0.9 leave on v0 to a MAC nobody has: the peer drops them, the connect times out.
        ns.exec("ip route add unreachable 10.98.0.0/24"
                + " && ip neigh add 10.97.0.9 lladdr 02:00:00:00:00:99 dev v0 nud permanent");
        server = TestServer.startIn(ns, "timeouts.connect = 500ms");
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
        if (ns != null) {
            ns.close();
        }
        if (peer != null) {
            peer.close();
        }
    }

    @Test
    void noRouteIsNetworkUnreachable() throws Exception {
        assertEquals(0x03, replyFor(new InetSocketAddress("10.99.0.1", 80)));
    }

    @Test
    void unreachableRouteIsHostUnreachable() throws Exception {
        assertEquals(0x04, replyFor(new InetSocketAddress("10.98.0.1", 80)));
    }

    @Test
    void connectTimeoutIsHostUnreachable() throws Exception {
        long[] replied = new long[1];
        assertEquals(0x04, replyFor(new InetSocketAddress("10.97.0.9", 80), replied));
        Bounds.timer("REP 04 after timeouts.connect = 500ms", replied[0], 500);
    }

    @Test
    void refusedByAPeerIsConnectionRefused() throws Exception {
        assertEquals(0x05, replyFor(new InetSocketAddress("10.97.0.2", 9)));
    }

    private static int replyFor(InetSocketAddress destination) throws Exception {
        return replyFor(destination, new long[1]);
    }

    /** The REP for a CONNECT to {@code destination}; {@code millis[0]}: from sending the request to the reply. */
    private static int replyFor(InetSocketAddress destination, long[] millis) throws Exception {
        try (SocksClient c = ns.call(() -> SocksClient.connect(server.address()))) {
            c.greetNoAuth();
            long start = System.nanoTime();
            int rep = c.request(1, destination).rep();
            millis[0] = Bounds.millisSince(start);
            c.assertClosedWithin(Bounds.AT_ONCE_MS, "close after REP " + rep);
            return rep;
        }
    }
}
