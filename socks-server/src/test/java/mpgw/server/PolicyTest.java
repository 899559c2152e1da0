package mpgw.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Admission and time limits: client allowlist, connection caps, handshake and idle timeouts. */
class PolicyTest {
    private static TcpEcho echo;

    @BeforeAll
    static void start() throws Exception {
        echo = new TcpEcho("127.0.0.1");
    }

    @AfterAll
    static void stop() throws Exception {
        echo.close();
    }

    @Test
    void clientOutsideTheAllowlistIsClosedBeforeAnyByte() throws Exception {
        try (TestServer server = TestServer.start("clients.allow = [\"10.0.0.0/8\", \"::1/128\"]");
             SocksClient c = SocksClient.connect(server.address())) {
            c.send(Wire.greeting(0));
            assertTrue(c.closedByServer());
            awaitCount(() -> server.events.drops(Drop.CLIENT_NOT_ALLOWED), 1);
        }
    }

    @Test
    void perClientCapRefusesTheExtraConnectionOnly() throws Exception {
        try (TestServer server = TestServer.start(TestServer.ALLOW_LOOPBACK + "\nlimits.max-connections-per-client = 2")) {
            List<SocksClient> admitted = new ArrayList<>();
            try {
                for (int i = 0; i < 2; i++) {
                    admitted.add(SocksClient.connect(server.address()).greetNoAuth());
                }
                try (SocksClient third = SocksClient.connect(server.address())) {
                    assertTrue(third.closedByServer());
                }
                assertEquals(1, server.events.drops(Drop.CLIENT_LIMIT));
                admitted.remove(0).close();
                awaitCount(server.events.connectionsOpen::get, 1);
                try (SocksClient again = SocksClient.connect(server.address()).greetNoAuth()) {
                    assertEquals(0, again.request(1, echo.address()).rep());
                }
            } finally {
                for (SocksClient c : admitted) {
                    c.close();
                }
            }
        }
    }

    @Test
    void totalCapRefusesBeyondMaxConnections() throws Exception {
        try (TestServer server = TestServer.start("limits.max-connections = 1");
             SocksClient first = SocksClient.connect(server.address()).greetNoAuth();
             SocksClient second = SocksClient.connect(server.address())) {
            assertTrue(second.closedByServer());
            assertEquals(1, server.events.drops(Drop.CONNECTION_LIMIT));
        }
    }

    @Test
    void handshakeTimeoutClosesASilentOrTricklingClient() throws Exception {
        try (TestServer server = TestServer.start("timeouts.handshake = 1500ms")) {
            try (SocksClient silent = SocksClient.connect(server.address())) {
                assertTrue(silent.closedByServer());
            }
            long start = System.nanoTime();
            try (SocksClient trickling = SocksClient.connect(server.address())) {
                // A byte every 100 ms would keep a read timeout alive forever; the handshake deadline is absolute.
                for (byte b : Wire.greeting(0)) {
                    trickling.send(new byte[] {b});
                    Thread.sleep(100);
                }
                trickling.read(2);
                trickling.send(new byte[] {5});
                assertTrue(trickling.closedByServer());
                assertTrue(System.nanoTime() - start < 4_500_000_000L, "closed by the deadline, not a read timeout");
            }
            assertEquals(2, server.events.drops(Drop.HANDSHAKE_TIMEOUT));
        }
    }

    @Test
    void idleRelayIsClosed() throws Exception {
        try (TestServer server = TestServer.start(TestServer.ALLOW_LOOPBACK + "\ntimeouts.idle = 1s");
             SocksClient c = SocksClient.connect(server.address()).greetNoAuth()) {
            assertEquals(0, c.request(1, echo.address()).rep());
            c.send(new byte[] {1});
            c.read(1);
            assertTrue(c.closedByServer());
        }
    }

    @Test
    void connectionWithinTheCapsIsNotClosed() throws Exception {
        try (TestServer server = TestServer.start(TestServer.ALLOW_LOOPBACK);
             SocksClient c = SocksClient.connect(server.address()).greetNoAuth()) {
            assertEquals(0, c.request(1, echo.address()).rep());
            c.socket.setSoTimeout(300);
            assertFalse(c.closedByServer(), "a relay without a timeout stays open");
        }
    }

    static void awaitCount(java.util.function.IntSupplier actual, int expected) throws InterruptedException {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (actual.getAsInt() != expected && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(expected, actual.getAsInt());
    }
}
