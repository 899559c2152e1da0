package mpgw.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The socks-server as a process with a status password and SOCKS5 users in its config: every path of the metrics
 * listener needs the password, and nothing it serves (page, assets, status.json, /metrics) shows a user name or
 * password from the config.
 */
class StatusPasswordTest {
    private static final String USER = "user-5e0b1d";
    private static final String USER_PASSWORD = "pw-user-93d2aa";
    private static final String STATUS_PASSWORD = "pw-status-41aa07";

    @TempDir
    Path dir;

    @Test
    void everyPathNeedsThePasswordAndNoneShowsACredential() throws Exception {
        int port = freePort();
        int metricsPort = freePort();
        Path conf = dir.resolve("server.conf");
        Files.writeString(conf, """
                server {
                  listen = ["127.0.0.1:%d"]
                  auth { method = password, users = [{ user = "%s", password = "%s" }] }
                  metrics { listen = "127.0.0.1:%d", password = "%s" }
                }
                """.formatted(port, USER, USER_PASSWORD, metricsPort, STATUS_PASSWORD));
        Path log = dir.resolve("server.log");
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "mpgw.server.ServerMain", "--config", conf.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            awaitLine(log, "socks-server up");
            String upLine = Files.readString(log);
            assertTrue(upLine.contains("status page http://127.0.0.1:" + metricsPort + "/"), upLine);
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            String right = "Basic " + Base64.getEncoder().encodeToString(("x:" + STATUS_PASSWORD)
                    .getBytes(StandardCharsets.UTF_8));
            for (String path : List.of("/", "/status", "/status.json", "/status.js", "/uplot.js", "/metrics")) {
                URI uri = URI.create("http://127.0.0.1:" + metricsPort + path);
                assertEquals(401, http.send(HttpRequest.newBuilder(uri).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode(), path);
                HttpResponse<String> ok = http.send(HttpRequest.newBuilder(uri).header("Authorization", right).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertEquals(200, ok.statusCode(), path);
                for (String secret : List.of(USER, USER_PASSWORD, STATUS_PASSWORD)) {
                    assertFalse(ok.body().contains(secret), path + " shows " + secret);
                }
            }
            assertFalse(Files.readString(log).contains(STATUS_PASSWORD), "the log shows the status password");
        } finally {
            p.destroy();
            p.waitFor();
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return s.getLocalPort();
        }
    }

    private static void awaitLine(Path log, String text) throws Exception {
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (System.nanoTime() < deadline) {
            if (Files.exists(log) && Files.readString(log, StandardCharsets.UTF_8).contains(text)) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("no '" + text + "' in:\n" + Files.readString(log));
    }
}
