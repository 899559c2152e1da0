package mpgw.server;

import static mpgw.server.Wire.bytes;
import static mpgw.server.Wire.concat;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A table of bad inputs over real sockets: each gets its specific reply (RFC 1928 §6 REP, or method 0xFF, or
 * RFC 1929 status 01), then a clean close, and nothing is logged at WARN or with a stack trace.
 */
class MalformedInputTest {
    private static TestServer open;
    private static TestServer withPassword;

    record Case(String name, boolean password, byte[] input, byte[] expectedReply, boolean halfClose) {
        @Override
        public String toString() {
            return name;
        }
    }

    @BeforeAll
    static void start() throws Exception {
        open = TestServer.start(TestServer.ALLOW_LOOPBACK + "\ntimeouts.handshake = 3s");
        withPassword = TestServer.start(TestServer.ALLOW_LOOPBACK
                + "\nauth { method = password, users = [ { user = alice, password = \"s3cret\" } ] }");
    }

    @AfterAll
    static void stop() {
        open.close();
        withPassword.close();
    }

    static Stream<Case> cases() {
        byte[] ok = Wire.greeting(0);
        byte[] chosen = bytes(5, 0);
        InetSocketAddress somewhere = new InetSocketAddress("127.0.0.1", 80);
        byte[] allButNoAuth = new byte[255];
        for (int i = 0; i < 255; i++) {
            allButNoAuth[i] = (byte) (i + 1);
        }
        return Stream.of(
                new Case("greeting version 4", false, bytes(4, 1, 0), bytes(5, 0xff), false),
                new Case("greeting with zero methods", false, bytes(5, 0), bytes(5, 0xff), false),
                new Case("255 methods without 0x00", false, concat(bytes(5, 255), allButNoAuth), bytes(5, 0xff), false),
                new Case("HTTP request instead of SOCKS", false,
                        "GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII), bytes(5, 0xff), false),
                new Case("request version 4", false, concat(ok, bytes(4, 1, 0), Wire.address(somewhere)),
                        concat(chosen, failure(0x01)), false),
                new Case("unknown command 0x09", false, concat(ok, Wire.request(0x09, somewhere)),
                        concat(chosen, failure(0x07)), false),
                new Case("unknown address type 0x02", false, concat(ok, bytes(5, 1, 0, 2, 1, 2, 3, 4, 0, 80)),
                        concat(chosen, failure(0x08)), false),
                new Case("empty domain", false, concat(ok, bytes(5, 1, 0, 3, 0, 0, 80)),
                        concat(chosen, failure(0x04)), false),
                new Case("oversized domain (255 bytes)", false,
                        concat(ok, Wire.request(1, InetSocketAddress.createUnresolved("a".repeat(255), 80))),
                        concat(chosen, failure(0x04)), false),
                new Case("request truncated by EOF", false, concat(ok, bytes(5, 1, 0, 1, 127)), chosen, true),
                new Case("greeting truncated by EOF", false, bytes(5, 3, 0), new byte[0], true),
                new Case("login with version 2", true, concat(Wire.greeting(2), bytes(2), Wire.login("alice", "s3cret")),
                        bytes(5, 2, 1, 1), false),
                new Case("login with empty password", true, concat(Wire.greeting(2), bytes(1, 5),
                        "alice".getBytes(StandardCharsets.US_ASCII), bytes(0)), bytes(5, 2, 1, 1), false));
    }

    private static byte[] failure(int rep) {
        return bytes(5, rep, 0, 1, 0, 0, 0, 0, 0, 0);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void repliesAndClosesCleanly(Case c) throws Exception {
        try (LogCapture log = LogCapture.open();
             SocksClient client = SocksClient.connect((c.password ? withPassword : open).address())) {
            client.send(c.input);
            if (c.halfClose) {
                client.shutdownOutput();
            }
            assertArrayEquals(c.expectedReply, client.read(c.expectedReply.length));
            client.assertClosedWithin(Bounds.AT_ONCE_MS, "close after the reply to " + c.name);
            log.awaitConnectionLine(client.socket.getLocalPort());
            assertEquals(List.of(), log.problems());
        }
    }
}
