package mpgw.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import mpgw.testing.Sh;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A third-party SOCKS5 client, curl, through the server to a local HTTP server. */
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

    @Test
    void wrongPasswordFailsTheProxyHandshake() throws Exception {
        Sh.Result r = curl("--socks5-hostname", proxy(withPassword), "--proxy-user", "alice:nope",
                "http://localhost:" + http.getAddress().getPort() + "/");
        assertNotEquals(0, r.exitCode());
        assertEquals("", r.output().strip().startsWith("curl:") ? "" : r.output());
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
