package mpgw.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import mpgw.testing.Sh;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A third-party SOCKS5 client, curl, through the server to a local HTTP server. Each case pins curl's exit status
 * and message (curl 7.88, Debian 12), so a failure of another kind (e.g. the proxy refusing the connection,
 * exit 7) cannot pass as the expected one.
 */
class CurlClientTest {
    private static final String BODY = "hello through mpgw socks-server\n";
    private static HttpServer http;
    private static TestServer open;
    private static TestServer withPassword;

    @BeforeAll
    static void start() throws Exception {
        http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        http.createContext("/", exchange -> {
            byte[] body = BODY.getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        http.start();
        open = TestServer.start(TestServer.ALLOW_LOOPBACK);
        withPassword = TestServer.start(TestServer.ALLOW_LOOPBACK
                + "\nauth { method = password, users = [ { user = alice, password = \"s3cret\" } ] }");
    }

    @AfterAll
    static void stop() {
        http.stop(0);
        open.close();
        withPassword.close();
    }

    @Test
    void socks5HostnameLetsTheServerResolve() throws Exception {
        Sh.Result r = curl("--socks5-hostname", proxy(open), "http://localhost:" + http.getAddress().getPort() + "/");
        assertEquals(0, r.exitCode(), r.output());
        assertEquals(BODY, r.output());
    }

    @Test
    void socks5WithAnAddress() throws Exception {
        Sh.Result r = curl("--socks5", proxy(open), "http://127.0.0.1:" + http.getAddress().getPort() + "/");
        assertEquals(0, r.exitCode(), r.output());
        assertEquals(BODY, r.output());
    }

    @Test
    void proxyUserLogsIn() throws Exception {
        Sh.Result r = curl("--socks5-hostname", proxy(withPassword), "--proxy-user", "alice:s3cret",
                "http://localhost:" + http.getAddress().getPort() + "/");
        assertEquals(0, r.exitCode(), r.output());
        assertEquals(BODY, r.output());
    }

    /**
     * RFC 1929 failure: curl reports exactly the server's rejection (exit 97, CURLE_PROXY, status 1 1) and the
     * server logs the connection as a failed handshake for that user, not any other way curl can fail (connection refused is exit 7).
     */
    @Test
    void wrongPasswordFailsTheProxyHandshake() throws Exception {
        try (LogCapture log = LogCapture.open()) {
            Sh.Result r = curl("--socks5-hostname", proxy(withPassword), "--proxy-user", "alice:nope",
                    "http://localhost:" + http.getAddress().getPort() + "/");
            assertEquals(97, r.exitCode(), r.output());
            assertEquals("curl: (97) User was rejected by the SOCKS5 server (1 1).", r.output().strip());
            String line = awaitConnectionLine(log, "outcome=handshake-failed ");
            assertTrue(line.contains("authentication failed for user 'alice'"), line);
        }
    }

    /** A destination that refuses: the server answers REP 05 and curl says so (exit 97, "(5)"). */
    @Test
    void refusedDestinationIsReportedAsRep5() throws Exception {
        int closed;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            closed = s.getLocalPort();
        }
        int refusedBefore = replies(open, 5);
        try (LogCapture log = LogCapture.open()) {
            Sh.Result r = curl("--socks5", proxy(open), "http://127.0.0.1:" + closed + "/");
            assertEquals(97, r.exitCode(), r.output());
            assertEquals("curl: (97) Can't complete SOCKS5 connection to 127.0.0.1. (5)", r.output().strip());
            String line = awaitConnectionLine(log, "dest=127.0.0.1:" + closed + " ");
            assertTrue(line.contains(" outcome=refused reply=connection-refused "), line);
            assertEquals(refusedBefore + 1, replies(open, 5), "one REP 05 sent");
        }
    }

    private static int replies(TestServer server, int rep) {
        var n = server.events.replies.get(rep);
        return n == null ? 0 : n.get();
    }

    /** Waits (up to 5 s) for the server's one log line for a finished connection that contains {@code text}. */
    private static String awaitConnectionLine(LogCapture log, String text) throws InterruptedException {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (System.nanoTime() < deadline) {
            var line = log.messages().stream().filter(m -> m.startsWith("conn=") && m.contains(text)).findFirst();
            if (line.isPresent()) {
                return line.get();
            }
            Thread.sleep(10);
        }
        throw new AssertionError("no connection line with '" + text + "' in " + log.messages());
    }

    private static String proxy(TestServer server) {
        return "127.0.0.1:" + server.address().getPort();
    }

    private static Sh.Result curl(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("curl", "--silent", "--show-error", "--max-time", "10"));
        command.addAll(List.of(args));
        return Sh.run(command);
    }
}
