package mpgw.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import mpgw.testing.Netns;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The launcher contract: exit codes and messages, the "up" line, metrics, and SIGTERM with a grace period. */
class ServerMainTest {
    @TempDir
    Path dir;

    private record Outcome(int status, String out, String err) {
    }

    private static Outcome run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = ServerMain.run(args, new PrintStream(out, true), new PrintStream(err, true));
        return new Outcome(status, out.toString(), err.toString());
    }

    private Path config(String body) throws IOException {
        Path f = dir.resolve("server.conf");
        Files.writeString(f, body);
        return f;
    }

    @Test
    void usageErrorsExitWith2AndOneLine() {
        Outcome unknown = run("--bogus");
        assertEquals(2, unknown.status);
        assertEquals("server: Unknown option: '--bogus' (see 'mpgw server --help')" + System.lineSeparator(),
                unknown.err);
        Outcome missing = run();
        assertEquals(2, missing.status);
        assertEquals("server: Missing required option: '--config=FILE' (see 'mpgw server --help')"
                + System.lineSeparator(), missing.err);
        Outcome noValue = run("--config");
        assertEquals(2, noValue.status);
        assertTrue(noValue.err.startsWith("server: Missing required parameter for option '--config'"), noValue.err);
        assertEquals(1, noValue.err.lines().count(), noValue.err);
    }

    @Test
    void helpPrintsTheUsageAndExits0() {
        Outcome help = run("--help");
        assertEquals(0, help.status);
        assertTrue(help.out.startsWith("Usage: mpgw server [-h] --config=FILE"), help.out);
        assertTrue(help.out.contains("the SOCKS5 server over MPTCP (router B)") && help.out.contains("--config=FILE"),
                help.out);
        assertEquals("", help.err);
    }

    @Test
    void configErrorsNameTheKeyAndFileWithoutStackTrace() throws Exception {
        Path f = config("server { limits { max-connections = -5 } }");
        Outcome bad = run("--config", f.toString());
        assertEquals(2, bad.status);
        assertTrue(bad.err.contains(f.toString()) && bad.err.contains("max-connections"), bad.err);
        assertFalse(bad.err.contains("\tat "), bad.err);

        Outcome typo = run("--config", config("server { lisen = [\"127.0.0.1:1\"] }").toString());
        assertEquals(2, typo.status);
        assertTrue(typo.err.contains("unknown key 'server.lisen'") || typo.err.contains("lisen"), typo.err);

        Outcome noFile = run("--config", dir.resolve("absent.conf").toString());
        assertEquals(2, noFile.status);
        assertTrue(noFile.err.contains("no such file"), noFile.err);
    }

    /** TLS key problems stop the start before any listener: exit 2, one line naming the file or key. */
    @Test
    void tlsKeyErrorsExitWith2AndOneLine() throws Exception {
        TlsKeys keys = TlsKeys.make("exit2");
        String peers = "peers = [\"" + keys.fingerprint() + "\"]";
        Path cert = keys.dir.resolve("cert.pem");
        Path key = keys.dir.resolve("key.pem");
        Path missing = dir.resolve("nothing.pem");
        for (String[] c : new String[][] {
            {"certificate = \"" + missing + "\", key = \"" + key + "\", " + peers, missing.toString()},
            {"certificate = \"" + key + "\", key = \"" + key + "\", " + peers, key.toString()},
            {"certificate = \"" + cert + "\", key = \"" + key + "\", peers = [\"sha256:12\"]", "server.tls.peers"},
            {"certificate = \"" + cert + "\", key = \"" + key + "\"", "server.tls.peers"},
        }) {
            Outcome o = run("--config", config("server { listen = [\"127.0.0.1:0\"], tls { enabled = on, " + c[0]
                    + " } }").toString());
            assertEquals(2, o.status, o.err);
            assertTrue(o.err.startsWith("server: ") && o.err.contains(c[1]), o.err);
            assertEquals(1, o.err.lines().count(), o.err);
        }
    }

    /** Renamed keys have no aliases: exit 2, one line naming the file, the line and the new key. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "metrics-listen = \"\"        | server.metrics-listen was renamed to server.metrics.listen",
        "shutdown-grace-period = 1s | server.shutdown-grace-period was renamed to server.shutdown-grace",
    })
    void anOldKeyIsAnErrorThatNamesTheNewOne(String line, String message) throws Exception {
        Path f = config("server {\n  " + line + "\n}\n");
        Outcome old = run("--config", f.toString());
        assertEquals(2, old.status);
        assertEquals("server: " + f + ":2: " + message + System.lineSeparator(), old.err);
    }

    @Test
    void portInUseExitsWith1() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            Outcome r = run("--config", config("server.listen = [\"127.0.0.1:" + taken.getLocalPort() + "\"]").toString());
            assertEquals(1, r.status);
            assertTrue(r.err.contains("cannot listen on 127.0.0.1:" + taken.getLocalPort())
                    && r.err.contains("address already in use"), r.err);
            assertFalse(r.err.contains("\tat "), r.err);
        }
    }

    @Test
    void exampleConfigInConfIsValid() {
        ServerSettings example = ServerSettings.load(Path.of("..", "conf", "server.conf"));
        assertEquals(2, example.listen().size());
        assertEquals(mpgw.jni.MptcpMode.REQUIRED, example.mptcp());
    }

    @Test
    void mptcpRequiredWithoutKernelSupportExitsWith1() throws Exception {
        try (Netns ns = Netns.create("mpgwsrv-nomptcp")) {
            ns.exec("sysctl -qw net.mptcp.enabled=0");
            Path f = config("server { listen = [\"127.0.0.1:0\"], mptcp = required }");
            Outcome r = ns.call(() -> run("--config", f.toString()));
            assertEquals(1, r.status, r.err);
            assertTrue(r.err.startsWith("server: server.mptcp = required, but "), r.err);
            assertFalse(r.err.contains("\tat "), r.err);
        }
    }

    /** The real process, as {@code java -cp ... mpgw.server.ServerMain --config FILE} is started by bin/mpgw. */
    @Test
    void processServesMetricsAndDrainsOnSigterm() throws Exception {
        int port = freePort();
        int metricsPort = freePort();
        Path f = config("server {\n listen = [\"127.0.0.1:" + port + "\"]\n metrics.listen = \"127.0.0.1:" + metricsPort
                + "\"\n shutdown-grace = 3s\n " + TestServer.ALLOW_LOOPBACK + "\n}\n");
        Path log = dir.resolve("server.log");
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "mpgw.server.ServerMain", "--config", f.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        long sigterm;
        try (TcpEcho echo = new TcpEcho("127.0.0.1")) {
            awaitLine(log, "socks-server up: listen 127.0.0.1:" + port);
            InetSocketAddress server = new InetSocketAddress("127.0.0.1", port);
            try (SocksClient c = SocksClient.connect(server).greetNoAuth()) {
                assertEquals(0, c.request(1, echo.address()).rep());
                c.send("before".getBytes());
                assertArrayEquals("before".getBytes(), c.read(6));

                String metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + metricsPort + "/metrics")).build(),
                        HttpResponse.BodyHandlers.ofString()).body();
                for (String series : List.of("mpgw_server_connections_active 1.0", "mpgw_server_connections_total",
                        "mpgw_server_replies_total{code=\"0\"}", "mpgw_server_handshake_seconds_count",
                        "mpgw_server_drops_total{reason=\"client-not-allowed\"}", "mpgw_server_mptcp_fallbacks")) {
                    assertTrue(metrics.contains(series), series + " in\n" + metrics);
                }

                sigterm = System.nanoTime();
                p.destroy(); // SIGTERM
                awaitLine(log, "stopped accepting");
                assertThrows(ConnectException.class, () -> SocksClient.connect(server).close());
                c.send("during grace".getBytes());
                assertArrayEquals("during grace".getBytes(), c.read(12), "open connections drain");
                c.assertClosedBetween(sigterm, 3000 - Bounds.TIMER_EARLY_MS, 3000 + Bounds.SHUTDOWN_LATE_MS,
                        "close of an open connection when shutdown-grace-period = 3s is over");
            }
            assertTrue(p.waitFor(3000 + Bounds.SHUTDOWN_LATE_MS - Bounds.millisSince(sigterm), TimeUnit.MILLISECONDS),
                    "exited within " + (3000 + Bounds.SHUTDOWN_LATE_MS) + " ms of SIGTERM");
            Bounds.check("exit after SIGTERM with shutdown-grace-period = 3s", Bounds.millisSince(sigterm), 0,
                    3000 + Bounds.SHUTDOWN_LATE_MS);
            String output = Files.readString(log);
            assertTrue(output.contains("socks-server stopped"), output);
            assertFalse(output.contains("Exception"), output);
        } finally {
            p.destroyForcibly();
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
