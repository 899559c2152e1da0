package mpgw.gateway.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.InetSocketAddress;
import mpgw.jni.MptcpMode;
import mpgw.jni.MptcpSocketFactory;
import mpgw.metrics.MetricsEndpoint;
import mpgw.testbed.Metrics;
import org.junit.jupiter.api.Test;

/**
 * The series names the end-to-end tests read from the gateway's scrape ({@link Metrics}), checked against
 * {@link MicrometerGatewayMetrics} in this JVM: the names the e2e tests may find missing
 * ({@link Metrics#REGISTERED_AT_FIRST_USE}) are exactly ones the product registers at their first event, so an
 * e2e "== 0" on one of them cannot pass because the metric was renamed.
 */
class GatewayMetricNamesTest {

    @Test
    void everyNameTheE2eTestsMayFindMissingAppearsOnceItsEventHappens() {
        PrometheusMeterRegistry registry = MetricsEndpoint.newRegistry();
        MicrometerGatewayMetrics metrics = new MicrometerGatewayMetrics(registry,
                new MptcpSocketFactory(MptcpMode.PREFERRED));
        Metrics before = Metrics.parse(registry.scrape());
        for (String name : Metrics.REGISTERED_AT_FIRST_USE) {
            assertEquals(0, before.sumOrZeroIfNeverRegistered(name), name);
        }
        InetSocketAddress server = new InetSocketAddress("10.1.1.2", 1080);
        metrics.poolTake(true);
        metrics.poolTake(false);
        metrics.poolReplaced("closed");
        metrics.poolRetried();
        metrics.fastOpen(true);
        metrics.fastOpen(false);
        metrics.pathReannounced("wan2", 1);
        metrics.socksReply(0);
        metrics.upstreamConnectFailed(server);
        metrics.pipeliningFallback(server);
        metrics.upstreamConnected(server, 1_000_000);
        metrics.pathBytes("10.1.1.1 -> 10.1.1.2:1080", 10, 20);
        Metrics after = Metrics.parse(registry.scrape());
        for (String name : Metrics.REGISTERED_AT_FIRST_USE) {
            assertTrue(after.hasName(name), name + " not in the scrape after its event:\n" + after);
        }
        assertEquals(1, after.sum("mpgw_gateway_pool_takes_total", "result=\"hit\""));
        assertEquals(1, after.sum("mpgw_gateway_pool_takes_total", "result=\"miss\""));
        assertEquals(1, after.sum("mpgw_gateway_pool_replaced_total", "reason=\"closed\""));
        assertEquals(1, after.sum("mpgw_gateway_pool_retries_total"));
        assertEquals(1, after.sum("mpgw_gateway_fast_open_total", "result=\"acked\""));
        assertEquals(1, after.sum("mpgw_gateway_fast_open_total", "result=\"not_acked\""));
    }

    @Test
    void theNamesRegisteredFromTheStartAreThereBeforeAnyEvent() {
        PrometheusMeterRegistry registry = MetricsEndpoint.newRegistry();
        new MicrometerGatewayMetrics(registry, new MptcpSocketFactory(MptcpMode.PREFERRED));
        Metrics m = Metrics.parse(registry.scrape());
        assertEquals(0, m.sum("mpgw_gateway_pool_ready"));
        assertEquals(0, m.sum("mpgw_gateway_mptcp_fallbacks_total"));
        assertEquals(0, m.sum("mpgw_gateway_bytes_total", "direction=\"up\""));
        assertEquals(0, m.sum("mpgw_gateway_flows_total", "outcome=\"relayed\""));
        assertEquals(0, m.sum("mpgw_gateway_upstream_subflows_max"));
    }

    @Test
    void aMissingSeriesFailsInsteadOfCountingAsZero() {
        Metrics m = Metrics.parse("""
                # TYPE mpgw_gateway_pool_ready gauge
                mpgw_gateway_pool_ready 0.0
                mpgw_gateway_fast_open_total{result="not_acked"} 2.0
                """);
        AssertionError renamed = assertThrows(AssertionError.class, () -> m.sum("mpgw_gateway_pool_readdy"));
        assertTrue(renamed.getMessage().contains("mpgw_gateway_pool_readdy")
                && renamed.getMessage().contains("mpgw_gateway_pool_ready 0.0"), renamed.getMessage());
        assertThrows(AssertionError.class, () -> m.sum("mpgw_gateway_fast_open_total", "result=\"acked\""));
        assertEquals(0, m.sumOrZeroIfAbsent("mpgw_gateway_fast_open_total", "result=\"acked\""));
        assertThrows(AssertionError.class, () -> m.sumOrZeroIfAbsent("mpgw_gateway_fast_opens_total"));
        assertEquals(0, m.sumOrZeroIfNeverRegistered("mpgw_gateway_pool_retries_total"));
        assertThrows(IllegalArgumentException.class, () -> m.sumOrZeroIfNeverRegistered("mpgw_gateway_pool_redy"));
    }
}
