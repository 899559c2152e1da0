package mpgw.metrics;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import mpgw.status.BasicAuth;
import mpgw.status.StatusPage;
import mpgw.status.StatusSettings;

/**
 * A Prometheus registry and the tiny HTTP endpoint that serves it: {@code GET /metrics} returns the
 * text exposition format; with a {@link StatusPage}, the status page and {@code /status.json} are served beside it;
 * anything else is 404, any method but GET and HEAD 405. With a password ({@link StatusSettings}) every path
 * needs HTTP basic authentication.
 *
 * <p>The endpoint runs on its own single daemon thread, never on an event loop, so a slow scraper
 * cannot delay traffic. A scrape that fails answers 500 and is otherwise ignored (metrics never break
 * traffic). Thread-safe; {@link #close()} is idempotent.
 */
public final class MetricsEndpoint implements AutoCloseable {
    private final HttpServer http;
    private final ExecutorService executor;

    private final StatusPage page;

    private MetricsEndpoint(HttpServer http, ExecutorService executor, StatusPage page) {
        this.http = http;
        this.executor = executor;
        this.page = page;
    }

    /** A fresh Prometheus registry for a daemon's meters. */
    public static PrometheusMeterRegistry newRegistry() {
        return new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    }

    /** Serves {@code registry} on {@code address}; throws when the address cannot be bound (e.g. in use). */
    public static MetricsEndpoint start(InetSocketAddress address, PrometheusMeterRegistry registry)
            throws IOException {
        return start(address, registry, null, StatusSettings.OPEN);
    }

    /**
     * Serves {@code registry} at {@code /metrics} and, when {@code page} is given, the status page beside it; with a
     * password in {@code settings} every path asks for HTTP basic authentication.
     */
    public static MetricsEndpoint start(InetSocketAddress address, PrometheusMeterRegistry registry, StatusPage page,
                                        StatusSettings settings) throws IOException {
        HttpServer http = HttpServer.create(address, 16);
        ExecutorService executor = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "metrics-http");
            t.setDaemon(true);
            return t;
        });
        http.setExecutor(executor);
        BasicAuth auth = settings.password().map(BasicAuth::new).orElse(null);
        http.createContext("/", exchange -> handle(exchange, registry, page, auth));
        http.start();
        return new MetricsEndpoint(http, executor, page);
    }

    private static void handle(HttpExchange exchange, PrometheusMeterRegistry registry, StatusPage page,
                               BasicAuth auth) throws IOException {
        try (exchange) {
            String method = exchange.getRequestMethod();
            boolean head = "HEAD".equals(method);
            if (!head && !"GET".equals(method)) {
                exchange.sendResponseHeaders(405, -1);
                return;
            }
            if (auth != null && !auth.accepts(exchange.getRequestHeaders().getFirst("Authorization"))) {
                exchange.getResponseHeaders().set("WWW-Authenticate", "Basic realm=\"mpgw\", charset=\"UTF-8\"");
                exchange.sendResponseHeaders(401, -1);
                return;
            }
            String path = exchange.getRequestURI().getPath();
            byte[] body;
            String type;
            try {
                if ("/metrics".equals(path)) {
                    body = registry.scrape().getBytes(StandardCharsets.UTF_8);
                    type = "text/plain; version=0.0.4; charset=utf-8";
                } else if (page != null && "/status.json".equals(path)) {
                    body = page.json();
                    type = "application/json";
                } else if (page != null && page.asset(path) != null) {
                    StatusPage.Asset asset = page.asset(path);
                    body = asset.bytes();
                    type = asset.contentType();
                } else {
                    exchange.sendResponseHeaders(404, -1);
                    return;
                }
            } catch (IOException | RuntimeException e) {
                exchange.sendResponseHeaders(500, -1);
                return;
            }
            Headers headers = exchange.getResponseHeaders();
            headers.set("Content-Type", type);
            headers.set("Cache-Control", "no-store");
            headers.set("X-Content-Type-Options", "nosniff");
            // The page runs only its own script and styles: even a value that escaped its text node could not run.
            headers.set("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'");
            exchange.sendResponseHeaders(200, head ? -1 : body.length);
            if (!head) {
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                }
            }
        }
    }

    public InetSocketAddress address() {
        return http.getAddress();
    }

    @Override
    public void close() {
        http.stop(0);
        executor.shutdownNow();
        if (page != null) {
            page.close();
        }
        try {
            executor.awaitTermination(1, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
