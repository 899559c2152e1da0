package mpgw.gateway.e2e;

import static mpgw.gateway.e2e.LanHostLoad.HOST_B;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import mpgw.testbed.JvmMemory;
import mpgw.testbed.Metrics;
import mpgw.testbed.Teardown;
import mpgw.testbed.Testbed;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 20, the byte budget: a flood from fewer ports than the session cap reaches a session with every datagram,
 * four times what the links carry, so only {@code limits.udp-queued-bytes-per-client} (4 MiB) holds the gateway's
 * queue. A gateway of its own, with the share of the links off (on, it drops the excess before the queue and the
 * budget is never reached; {@link LanHostBudgetsTest} tests it).
 *
 * <p>Its JVM runs Netty's leak detection at the default level, not paranoid: paranoid keeps a stack trace for
 * every access to a buffer, and with the queue full that was 30,431 live {@code TraceRecord}s, about 30 MB of
 * heap for 3,942 queued datagrams, the RSS growth this test is about (docs/udp.md, "Budgets per LAN host"). The
 * same paths run under paranoid detection in {@link LanHostBudgetsTest} and the UDP unit tests.
 */
class LanHostQueueBudgetTest {
    @TempDir
    static Path work;
    private static Testbed tb;
    private static final Teardown services = new Teardown();
    private static LanHostLoad lan;

    @BeforeAll
    static void testbed() throws Exception {
        tb = Testbed.up("mpgwbq-", "--links", "2", "--rate", "20mbit");
        services.add(tb);
        lan = LanHostLoad.start(tb, services, work,
                List.of("-Dio.netty.leakDetection.level=simple", "-XX:NativeMemoryTracking=summary"),
                "limits.link-bytes-per-second = 0");
    }

    @AfterAll
    static void teardown() {
        services.close();
    }

    @Test
    void aFloodWithinTheSessionCapIsHeldToItsQueuedBytes() throws Exception {
        lan.warmUp();
        Thread.sleep(1_000);
        long idle = lan.rssKiB();
        String idleMemory = JvmMemory.report(lan.gatewayPid(), "idle", false);
        LanHostLoad.RssSampler rss = lan.sampleRss();
        LanHostLoad.Flood flood = lan.flood(256);
        CompletableFuture<Long> flooding = CompletableFuture.supplyAsync(flood::run);
        String floodMemory;
        try {
            double queuedPeak = 0;
            List<Long> answers = new ArrayList<>();
            Thread.sleep(2_000);
            long linksBefore = lan.linksTxBytes();
            long linksStart = System.nanoTime();
            for (int i = 0; i < 8; i++) {
                queuedPeak = Math.max(queuedPeak, Metrics.scrape(tb, tb.gw(), LanHostLoad.METRICS)
                        .sum("mpgw_gateway_udp_queued_bytes"));
                answers.add(lan.dns(HOST_B, 3000));
                Thread.sleep(500);
            }
            // What the links carried towards router B with the flood unshaped: their capacity.
            double linksUp = (lan.linksTxBytes() - linksBefore) * 8 / 1000.0
                    / TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - linksStart);
            floodMemory = JvmMemory.report(lan.gatewayPid(), "during the flood", false);
            assertTrue(!flooding.isDone(), "the flood was on while B asked");
            long sent = flood.end(10_000, flooding);
            rss.stop();
            // While the kernel's send buffers of 256 streams drain over the links, the gateway waits, not spins.
            Thread.sleep(1_000);
            long cpuBefore = lan.cpuTicks();
            Thread.sleep(3_000);
            long cpuTicks = lan.cpuTicks() - cpuBefore;
            Metrics m = Metrics.scrape(tb, tb.gw(), LanHostLoad.METRICS);
            double overBytes = m.sum("mpgw_gateway_udp_drops_total", "reason=\"client_bytes\"");
            System.out.print(idleMemory + floodMemory);
            System.out.printf("flood from 256 ports: %d datagrams of %d bytes offered in %d ms (%.0f Mbit/s);"
                    + " client_bytes drops %.0f; queued peak %.1f MiB; RSS idle %d MiB, peak +%d MiB;"
                    + " B's DNS ms %s; gateway CPU %d ticks in 3 s from 1 s after; links towards router B %.1f"
                    + " Mbit/s during the flood%n", sent, LanHostLoad.FLOOD_SIZE,
                    flood.millis, sent * LanHostLoad.FLOOD_SIZE * 8 / 1000.0 / flood.millis, overBytes,
                    queuedPeak / (1 << 20), idle / 1024, (rss.peak.get() - idle) / 1024,
                    answers.stream().map(n -> n < 0 ? "lost" : String.valueOf(n / 1_000_000)).toList(), cpuTicks,
                    linksUp);
            assertTrue(cpuTicks < 100, "the gateway spins after the flood: " + cpuTicks + " ticks in 3 s");
            assertTrue(overBytes > 0.2 * sent, "the flooder's excess is dropped as client_bytes: " + m);
            assertTrue(queuedPeak <= (4 << 20) + 64 * 1024 && queuedPeak >= 1 << 20,
                    "the queue stays within the flooder's 4 MiB: " + queuedPeak);
            assertTrue(rss.peak.get() - idle <= 64 * 1024, "RSS grew by " + (rss.peak.get() - idle) / 1024 + " MiB");
            LanHostLoad.assertDnsServed(answers);
            lan.gateway().awaitLine("limits.udp-queued-bytes-per-client = 4194304 reached");
        } finally {
            flood.stop = true;
            rss.stop();
        }
    }
}
