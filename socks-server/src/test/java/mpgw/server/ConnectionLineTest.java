package mpgw.server;

import static mpgw.server.Wire.bytes;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The socks-server's connection line in the words the gateway uses too ({@code mpgw.connection.ConnectionRecord}):
 * {@code dest}, {@code ms}, the shared outcomes, and the peer's bytes escaped.
 */
class ConnectionLineTest {
    private static TestServer server;
    private static TestServer withPassword;
    private static TcpEcho echo;

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start(TestServer.ALLOW_LOOPBACK);
        withPassword = TestServer.start(TestServer.ALLOW_LOOPBACK
                + "\nauth { method = password, users = [ { user = alice, password = s3cret } ] }");
        echo = new TcpEcho("127.0.0.1");
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
        withPassword.close();
        echo.close();
    }

    private static String awaitLine(LogCapture log, String part) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (System.nanoTime() < deadline) {
            List<String> lines = log.messages().stream().filter(m -> m.contains(part)).toList();
            if (!lines.isEmpty()) {
                return lines.get(0);
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no line with '" + part + "' in " + log.messages());
    }

    @Test
    void aRelayedConnectHasTheSharedFields() throws Exception {
        try (LogCapture log = LogCapture.open()) {
            try (SocksClient c = SocksClient.connect(server.address()).greetNoAuth()) {
                assertEquals(0, c.request(1, echo.address()).rep());
                c.send("ping".getBytes());
                assertArrayEquals("ping".getBytes(), c.read(4));
            }
            String line = awaitLine(log, "outcome=");
            String dest = mpgw.config.Addresses.format(echo.address());
            assertTrue(line.matches("conn=\\S+ client=127\\.0\\.0\\.1:\\d+ cmd=CONNECT dest=" + dest.replace(".", "\\.")
                    + " via=" + dest.replace(".", "\\.") + " up=4 down=4 ms=\\d+ outcome=relayed"), line);
        }
    }

    @Test
    void aDomainWithALineBreakIsEscapedAndRefused() throws Exception {
        byte[] name = "evil\nconn=x outcome=relayed\u00e9".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
        try (LogCapture log = LogCapture.open();
             SocksClient c = SocksClient.connect(server.address()).greetNoAuth()) {
            c.send(bytes(5, 1, 0, 3, name.length), name, bytes(0, 80));
            assertEquals(4, c.readReply().rep());
            String line = awaitLine(log, "outcome=");
            assertEquals(-1, line.indexOf('\n'), line);
            assertTrue(line.contains(" dest=evil\\nconn=x\\x20outcome=relayed\\xe9:80 "), line);
            assertTrue(line.endsWith(" outcome=refused reply=host-unreachable detail=\"invalid domain name\""), line);
        }
    }

    /** Issue 16 D2, the probe's own name: a forged daemon line after a newline, and NUL bytes. */
    @Test
    void aForgedLogLineAndNulBytesInADomainStayOneEscapedLine() throws Exception {
        byte[] name = "a\n2026-12-04T15:47:00.000Z INFO  [main] ServerMain socks-server stopped\0\0b"
                .getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
        try (LogCapture log = LogCapture.open();
             SocksClient c = SocksClient.connect(server.address()).greetNoAuth()) {
            c.send(bytes(5, 1, 0, 3, name.length), name, bytes(0, 80));
            assertEquals(4, c.readReply().rep());
            awaitLine(log, "outcome=");
            List<String> lines = log.messages().stream().filter(m -> m.contains("socks-server")).toList();
            assertEquals(1, lines.size(), lines.toString());
            String line = lines.get(0);
            assertEquals(-1, line.indexOf('\n'), line);
            assertEquals(-1, line.indexOf('\0'), line);
            assertTrue(line.contains(" dest=a\\n2026-12-04T15:47:00.000Z\\x20INFO\\x20\\x20[main]\\x20ServerMain"
                    + "\\x20socks-server\\x20stopped\\x00\\x00b:80 "), line);
        }
    }

    @Test
    void aFailedLoginIsAHandshakeFailureNamingTheUser() throws Exception {
        try (LogCapture log = LogCapture.open();
             SocksClient c = SocksClient.connect(withPassword.address())) {
            c.send(Wire.greeting(0x02));
            assertArrayEquals(bytes(5, 2), c.read(2));
            c.send(Wire.login("mallory", "s3cret"));
            assertArrayEquals(bytes(1, 1), c.read(2));
            String line = awaitLine(log, "outcome=");
            assertTrue(line.endsWith(" outcome=handshake-failed detail=\"authentication failed for user 'mallory'\""),
                    line);
        }
    }
}
