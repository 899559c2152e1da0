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
            c.assertClosedWithin(Bounds.AT_ONCE_MS, "close of a client outside the allowlist");
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
                    third.assertClosedWithin(Bounds.AT_ONCE_MS, "close of the third connection");
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
            second.assertClosedWithin(Bounds.AT_ONCE_MS, "close of the connection beyond max-connections");
            assertEquals(1, server.events.drops(Drop.CONNECTION_LIMIT));
        }
    }

    @Test
    void handshakeTimeoutClosesASilentOrTricklingClient() throws Exception {
        try (TestServer server = TestServer.start("timeouts.handshake = 1500ms")) {
            long silentStart = System.nanoTime();
            try (SocksClient silent = SocksClient.connect(server.address())) {
                silent.assertClosedBetween(silentStart, 1500 - Bounds.TIMER_EARLY_MS, 1500 + Bounds.TIMER_LATE_MS,
                        "close of a silent client by timeouts.handshake = 1500ms");
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
                // Closed by the absolute deadline (1.5 s from the connect), not a read timeout after the last byte.
                trickling.assertClosedBetween(start, 1500 - Bounds.TIMER_EARLY_MS, 1500 + Bounds.TIMER_LATE_MS,
                        "close of a trickling client by timeouts.handshake = 1500ms");
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
            c.assertClosedBetween(1000 - Bounds.TIMER_EARLY_MS, 1000 + Bounds.TIMER_LATE_MS,
                    "close of an idle relay by timeouts.idle = 1s");
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
