package mpgw.status;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import mpgw.metrics.MetricsEndpoint;
import org.apache.logging.log4j.LogManager;
import org.junit.jupiter.api.Test;

/** The status page beside /metrics: what it serves, its JSON, its password, and that it inserts text only. */
class StatusPageTest {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final ObjectMapper JSON = new ObjectMapper();

    private static HttpResponse<String> get(MetricsEndpoint e, String path, String authorization) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + e.address().getPort() + path))
                .timeout(Duration.ofSeconds(5));
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    private static MetricsEndpoint start(PrometheusMeterRegistry registry, LinkSource links, StatusSettings settings)
            throws IOException {
        return MetricsEndpoint.start(new InetSocketAddress("127.0.0.1", 0), registry,
                StatusPage.start(registry, StatusMeters.GATEWAY, links), settings);
    }

    @Test
    void servesThePageItsAssetsAndStatusJsonBesideMetrics() throws Exception {
        PrometheusMeterRegistry registry = MetricsEndpoint.newRegistry();
        registry.counter("mpgw.gateway.flows", "outcome", "relayed").increment(3);
        AtomicLong sent = new AtomicLong();
        LinkSource links = () -> List.of(new LinkSample("10.1.1.1 -> 10.1.1.2:1080", "wan1", "10.1.1.1",
                "10.1.1.2:1080", "up", null, sent.addAndGet(1_000_000), 5));
        LogManager.getLogger("mpgw.test").warn("dest=<img src=x onerror=alert(1)> refused");
        try (MetricsEndpoint e = start(registry, links, StatusSettings.OPEN)) {
            HttpResponse<String> page = get(e, "/", null);
            assertEquals(200, page.statusCode());
            assertTrue(page.body().contains("<script src=\"status.js\""), page.body());
            assertEquals("default-src 'self'; frame-ancestors 'none'",
                    page.headers().firstValue("Content-Security-Policy").orElse(""));
            assertEquals(page.body(), get(e, "/status", null).body());
            for (String asset : List.of("/status.js", "/status.css", "/uplot.js", "/uplot.css")) {
                HttpResponse<String> r = get(e, asset, null);
                assertEquals(200, r.statusCode(), asset);
                assertTrue(r.body().length() > 100, asset);
            }
            assertTrue(get(e, "/uplot.js", null).body().contains("uPlot"));
            assertEquals(200, get(e, "/metrics", null).statusCode());
            assertEquals(404, get(e, "/../pom.xml", null).statusCode());
            assertEquals(404, get(e, "/status.js.bak", null).statusCode());
            HttpResponse<String> post = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                    + e.address().getPort() + "/status.json")).POST(HttpRequest.BodyPublishers.noBody()).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(405, post.statusCode());

            JsonNode status = awaitRate(e);
            JsonNode link = status.get("links").get(0);
            assertEquals("wan1", link.get("interface").asText());
            assertEquals("10.1.1.2:1080", link.get("remote").asText());
            assertTrue(link.get("role").isNull(), "no role until link roles exist");
            assertTrue(link.get("sentRate").asLong() >= 500_000, link.toString()); // 1 MB a second, roughly
            assertEquals(3, status.get("outcomes").get("counts").get("relayed").asLong());
            assertEquals("outcome", status.get("outcomes").get("tag").asText());
            assertTrue(status.get("memory").get("rss").asLong() > 0);
            assertTrue(status.get("flows").get("tcpActive").isNull(), "no such meter: absent, not 0");
            assertTrue(status.get("errors").toString().contains("dest=<img src=x onerror=alert(1)> refused"),
                    status.get("errors").toString());
        }
    }

    private static JsonNode awaitRate(MetricsEndpoint e) throws Exception {
        long deadline = System.nanoTime() + 10_000_000_000L;
        JsonNode status = null;
        while (System.nanoTime() < deadline) {
            HttpResponse<String> r = get(e, "/status.json", null);
            assertEquals(200, r.statusCode());
            assertEquals("application/json", r.headers().firstValue("Content-Type").orElse(""));
            status = JSON.readTree(r.body());
            if (status.get("links").size() == 1 && status.get("links").get(0).get("sentHistory").size() >= 1) {
                return status;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("no rate after 10 s: " + status);
    }

    @Test
    void aPasswordGuardsEveryPathAndIsNeverShown() throws Exception {
        PrometheusMeterRegistry registry = MetricsEndpoint.newRegistry();
        String password = "pw-7f3a9c";
        try (MetricsEndpoint e = start(registry, List::of, new StatusSettings(java.util.Optional.of(password)))) {
            for (String path : List.of("/", "/status", "/status.json", "/metrics", "/uplot.js")) {
                HttpResponse<String> none = get(e, path, null);
                assertEquals(401, none.statusCode(), path);
                assertTrue(none.headers().firstValue("WWW-Authenticate").orElse("").startsWith("Basic "), path);
                assertEquals(401, get(e, path, basic("mpgw", "pw-7f3a9")).statusCode(), path);
                assertEquals(401, get(e, path, basic("mpgw", password + "x")).statusCode(), path);
                assertEquals(401, get(e, path, "Basic !!!").statusCode(), path);
                assertEquals(401, get(e, path, "Bearer " + password).statusCode(), path);
                HttpResponse<String> ok = get(e, path, basic("anyone", password));
                assertEquals(200, ok.statusCode(), path);
                assertFalse(ok.body().contains(password), path + " shows the password");
            }
        }
        assertFalse(new StatusSettings(java.util.Optional.of(password)).toString().contains(password));
    }

    /** The page puts every value in with textContent: no API that parses markup appears in its script. */
    @Test
    void theScriptNeverParsesMarkup() throws Exception {
        String script;
        try (InputStream in = StatusPage.class.getResourceAsStream("/mpgw/status/status.js")) {
            script = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        for (String sink : List.of("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(",
                "new Function")) {
            assertFalse(script.contains(sink), "status.js uses " + sink);
        }
        assertTrue(script.contains("textContent"));
    }
}
