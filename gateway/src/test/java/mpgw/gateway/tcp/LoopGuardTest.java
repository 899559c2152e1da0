package mpgw.gateway.tcp;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which original destinations the loop guard refuses, and why. */
class LoopGuardTest {
    private final LoopGuard guard = new LoopGuard(List.of(new InetSocketAddress("0.0.0.0", 12345)),
            List.of(new InetSocketAddress("10.1.1.2", 1080)));
    private final InetSocketAddress local = new InetSocketAddress("192.168.70.1", 12345);

    private void refused(String host, int port, String why) {
        String reason = guard.check(new InetSocketAddress(host, port), local);
        assertTrue(reason != null && reason.contains(why), host + ":" + port + " -> " + reason);
    }

    @Test
    void refusesTheGatewayItselfAndItsOwnUpstream() {
        refused("127.0.0.1", 80, "loopback");
        refused("::1", 80, "loopback");
        refused("::ffff:127.0.0.1", 80, "loopback");
        refused("0.0.0.0", 80, "wildcard");
        refused("192.168.70.1", 12345, "own local address");
        refused("10.9.9.9", 12345, "listen address");
        refused("10.1.1.2", 1080, "socks-server 10.1.1.2:1080");
    }

    @Test
    void letsOrdinaryDestinationsThrough() {
        assertNull(guard.check(new InetSocketAddress("192.168.80.2", 7000), local));
        assertNull(guard.check(new InetSocketAddress("10.1.1.2", 443), local), "the server host, another port");
        assertNull(guard.check(new InetSocketAddress("2001:db8::1", 443), local));
    }
}
