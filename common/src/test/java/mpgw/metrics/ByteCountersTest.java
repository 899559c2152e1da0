package mpgw.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.Test;

/** One byte series, both directions, in the exposition both daemons serve. */
class ByteCountersTest {
    @Test
    void eachDirectionCountsItsOwnBytes() {
        PrometheusMeterRegistry registry = MetricsEndpoint.newRegistry();
        ByteCounters bytes = new ByteCounters(registry, "mpgw.test.bytes", "test bytes");
        bytes.add(5, 0);
        bytes.add(0, 7);
        bytes.add(3, 0);
        assertEquals(8, registry.get("mpgw.test.bytes").tag("direction", "up").counter().count());
        assertEquals(7, registry.get("mpgw.test.bytes").tag("direction", "down").counter().count());
        String text = registry.scrape();
        assertTrue(text.contains("mpgw_test_bytes_total{direction=\"up\"} 8.0"), text);
        assertTrue(text.contains("mpgw_test_bytes_total{direction=\"down\"} 7.0"), text);
    }
}
