package mpgw.status;

import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.logging.log4j.LogManager;

/**
 * The status page of a daemon, served beside {@code /metrics} by {@link mpgw.metrics.MetricsEndpoint}: the page
 * ({@code /} and {@code /status}), its script and styles, uPlot from its WebJar (every asset inside the jar: the
 * page works with no Internet access) and {@code /status.json} ({@link StatusReport}).
 *
 * <p>It samples the daemon's {@link LinkSource} once a second into a {@link LinkHistory} on its own daemon thread
 * ({@code status-sampler}), never on an event loop; a sample that fails is skipped (the page never breaks
 * traffic). Read-only: it answers GET and HEAD only. {@link #close()} stops the sampler.
 */
public final class StatusPage implements AutoCloseable {
    /** The WebJar's version: the root pom's {@code uplot.version} (a mismatch fails at start, and in StatusPageTest). */
    private static final String UPLOT = "1.6.30";

    /** Path to asset: a fixed table, so no request path ever names a resource. */
    private static final Map<String, Asset> ASSETS = Map.of(
            "/", new Asset("/mpgw/status/index.html", "text/html; charset=utf-8"),
            "/status", new Asset("/mpgw/status/index.html", "text/html; charset=utf-8"),
            "/status.js", new Asset("/mpgw/status/status.js", "text/javascript; charset=utf-8"),
            "/status.css", new Asset("/mpgw/status/status.css", "text/css; charset=utf-8"),
            "/uplot.js", new Asset("/META-INF/resources/webjars/uplot/" + UPLOT
                    + "/dist/uPlot.iife.min.js", "text/javascript; charset=utf-8"),
            "/uplot.css", new Asset("/META-INF/resources/webjars/uplot/" + UPLOT
                    + "/dist/uPlot.min.css", "text/css; charset=utf-8"));

    private final LinkSource links;
    private final LinkHistory history = new LinkHistory();
    private final StatusReport report;
    private final ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "status-sampler");
        t.setDaemon(true);
        return t;
    });

    /** A static asset: its bytes (read once, at start) and content type. */
    public record Asset(String resource, String contentType, byte[] bytes) {
        Asset(String resource, String contentType) {
            this(resource, contentType, read(resource));
        }

        private static byte[] read(String resource) {
            try (InputStream in = StatusPage.class.getResourceAsStream(resource)) {
                if (in == null) {
                    throw new IllegalStateException("status page asset missing from the jar: " + resource);
                }
                return in.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    private StatusPage(MeterRegistry registry, StatusMeters meters, LinkSource links) {
        this.links = links;
        this.report = new StatusReport(registry, meters, history, RecentErrors.attach());
    }

    /** Starts sampling {@code links} each second. */
    public static StatusPage start(MeterRegistry registry, StatusMeters meters, LinkSource links) {
        StatusPage page = new StatusPage(registry, meters, links);
        page.sampler.scheduleAtFixedRate(page::sample, 0, 1, TimeUnit.SECONDS);
        return page;
    }

    private void sample() {
        try {
            history.record(System.currentTimeMillis(), links.links());
        } catch (RuntimeException e) {
            LogManager.getLogger(StatusPage.class).debug("status sample skipped: {}", e.toString());
        }
    }

    /** The asset served at {@code path}, or null. */
    public Asset asset(String path) {
        return ASSETS.get(path);
    }

    public byte[] json() throws IOException {
        return report.json();
    }

    @Override
    public void close() {
        sampler.shutdownNow();
    }
}
