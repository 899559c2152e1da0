package mpgw.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import mpgw.testing.Netns;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 16: an address added to router B after the server started (a DHCP or PPP WAN) is one of its own like
 * the others, refused with REP 02, not reachable through the proxy. In a namespace this test owns: a veth
 * "WAN" interface without an address at start, an echo service listening on every address, then the address
 * comes and the very next CONNECT to it is checked.
 *
 * <p>IPv4 only here: the server runs on threads moved into the namespace, and the JDK lists IPv6 addresses from
 * /proc/self/net/if_inet6, which is the namespace of the JVM's main thread (the host's). A daemon is one process
 * in one namespace, where both families come from the same place.
 */
class OwnAddressChangeTest {
    private static Netns ns;
    private static TestServer server;
    private static TcpEcho echo;

    @BeforeAll
    static void start() throws Exception {
        ns = Netns.create("mpgwsrv-own");
        ns.exec("ip link add wan9 type veth peer name wan9p && ip link set wan9 up && ip link set wan9p up");
        echo = ns.call(() -> new TcpEcho("::"));
        server = TestServer.startIn(ns, "");
        // Past OwnAddresses' first second (in which every check re-reads the list anyway): the tests then show
        // that the address monitor alone brings the change in.
        Thread.sleep(OwnAddresses.MONITOR_SETTLE_NANOS / 1_000_000 + 500);
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
        if (echo != null) {
            try {
                echo.close();
            } catch (Exception e) {
                // the namespace goes anyway
            }
        }
        if (ns != null) {
            ns.close();
        }
    }

    @Test
    void anIpv4AddressAddedAfterStartIsRefusedAsOwn() throws Exception {
        InetSocketAddress added = new InetSocketAddress("10.96.9.1", echo.address().getPort());
        try (LogCapture log = LogCapture.open()) {
            ns.exec("ip addr add 10.96.9.1/24 dev wan9");
            assertEquals(0x02, replyFor(added), "CONNECT to an address added after start");
            assertTrue(log.messages().stream().anyMatch(m -> m.startsWith("own addresses changed")
                    && m.contains("added [10.96.9.1]")), "the change is logged: " + log.messages());
        } finally {
            ns.exec("ip addr del 10.96.9.1/24 dev wan9");
        }
    }

    /** The REP of one CONNECT from inside the namespace; the client is then closed. */
    private static int replyFor(InetSocketAddress destination) throws Exception {
        try (SocksClient c = ns.call(() -> SocksClient.connect(server.address()))) {
            c.greetNoAuth();
            return c.request(1, destination).rep();
        }
    }
}
