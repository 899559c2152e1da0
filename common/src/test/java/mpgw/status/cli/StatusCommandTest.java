package mpgw.status.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import mpgw.metrics.MetricsEndpoint;
import mpgw.status.LinkSample;
import mpgw.status.LinkSource;
import mpgw.status.StatusMeters;
import mpgw.status.StatusPage;
import mpgw.status.StatusSettings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code mpgw status} against a real endpoint on loopback (links from a fake source), and with nothing there. */
class StatusCommandTest {
    @TempDir
    Path dir;

    private record Outcome(int status, String out, String err) {
    }

    private static Outcome run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = StatusCommand.run(args, new PrintStream(out, true), new PrintStream(err, true));
        return new Outcome(status, out.toString(), err.toString());
    }

    @Test
    void onceAndJsonPrintTheLinksWithTheirRates() throws Exception {
        PrometheusMeterRegistry registry = MetricsEndpoint.newRegistry();
        AtomicLong wan1 = new AtomicLong();
        AtomicLong wan2 = new AtomicLong();
        LinkSource links = () -> List.of(
                new LinkSample("10.1.1.1 -> 10.1.1.2:1080", "wan1", "10.1.1.1", "10.1.1.2:1080", "up", null,
                        wan1.addAndGet(250_000), 0),
                new LinkSample("10.2.2.1 -> 10.1.1.2:1080", "wan\u001b]0;owned\u0007", "10.2.2.1", "10.1.1.2:1080",
                        "down", null, wan2.get(), 0));
        try (MetricsEndpoint e = MetricsEndpoint.start(new InetSocketAddress("127.0.0.1", 0), registry,
                StatusPage.start(registry, StatusMeters.GATEWAY, links), StatusSettings.OPEN)) {
            String url = "http://127.0.0.1:" + e.address().getPort();
            Thread.sleep(2500); // two samples: a rate
            Outcome once = run("--once", "--url", url);
            assertEquals(0, once.status, once.err);
            assertTrue(once.out.contains("10.1.1.1 -> 10.1.1.2:1080"), once.out);
            assertTrue(once.out.contains("10.2.2.1 -> 10.1.1.2:1080"), once.out);
            assertTrue(once.out.matches("(?s).*10\\.1\\.1\\.1 -> \\S+\\s+wan1\\s+up\\s+\\d\\.\\d\\d Mbit/s.*"), once.out);
            assertFalse(once.out.contains("\u001b"), "an escape sequence from the daemon reached the terminal");
            assertTrue(once.out.contains("wan?]0;owned?"), once.out);

            Outcome json = run("--json", "--url", url + "/");
            assertEquals(0, json.status, json.err);
            assertEquals(2, new ObjectMapper().readTree(json.out).get("links").size());
        }
    }

    @Test
    void aPasswordComesFromTheConfigFile() throws Exception {
        PrometheusMeterRegistry registry = MetricsEndpoint.newRegistry();
        try (MetricsEndpoint e = MetricsEndpoint.start(new InetSocketAddress("127.0.0.1", 0), registry,
                StatusPage.start(registry, StatusMeters.SERVER, List::of), new StatusSettings(Optional.of("s3")))) {
            String listen = "127.0.0.1:" + e.address().getPort();
            Outcome refused = run("--once", "--url", "http://" + listen);
            assertEquals(StatusCommand.EXIT_NO_ANSWER, refused.status);
            assertTrue(refused.err.contains("HTTP 401"), refused.err);
            Path conf = dir.resolve("server.conf");
            Files.writeString(conf, "server { metrics { listen = \"" + listen + "\", password = \"s3\" } }\n");
            Outcome ok = run("--once", "--config", conf.toString());
            assertEquals(0, ok.status, ok.err);
            assertTrue(ok.out.contains("(no link has carried bytes yet)"), ok.out);
        }
    }

    @Test
    void exitsNonZeroWhenNothingListens() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        Outcome r = run("--once", "--url", "http://127.0.0.1:" + port);
        assertEquals(StatusCommand.EXIT_NO_ANSWER, r.status);
        assertTrue(r.err.startsWith("status: no answer from http://127.0.0.1:" + port + "/status.json"), r.err);
        assertEquals(1, r.err.lines().count(), r.err);
        Outcome usage = run("--url", "ftp://x");
        assertEquals(2, usage.status);
        Outcome off = run("--config", Files.writeString(dir.resolve("g.conf"), "gateway.metrics.listen = \"\"\n")
                .toString());
        assertEquals(2, off.status);
        assertTrue(off.err.contains("gateway.metrics.listen is off"), off.err);
    }
}
