package mpgw.it.path;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import mpgw.it.harness.GatewayConfig;
import mpgw.it.harness.RequiresContainerEngine;
import mpgw.it.harness.Topology;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The cases every socks peer on router B must pass, through the real path: client traffic intercepted by
 * iptables on gw, carried by the gateway over MPTCP on two tbf-shaped links, relayed by the peer on srv to dst.
 * A subclass names the peer ({@link #startSocksPeer}); each class gets its own {@link Topology}.
 */
@RequiresContainerEngine
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class GatewayPathTests {

    static final int LINK_MBIT = 20;

    Topology net;

    /** Starts the socks peer on {@code net.srv}; returns when it listens on {@link Topology#SOCKS_PORT}. */
    abstract void startSocksPeer(Topology net);

    @BeforeAll
    void startTopology() {
        net = new Topology(2, LINK_MBIT + "mbit");
        startSocksPeer(net);
        net.startGateway(GatewayConfig.forServers(net.serverAddresses()));
    }

    @AfterAll
    void stopTopology() {
        if (net != null) {
            net.close();
        }
    }

    @Test
    void downloadArrivesIntact() {
        String got = net.client.sh("curl -sS --fail --max-time 60 http://" + net.dstIp() + ":" + Topology.HTTP_PORT
                + "/blob | sha256sum | cut -d' ' -f1").trim();
        assertEquals(net.blobSha256(), got, "sha256 of the blob the client received through the gateway");
    }

    /** Upload with a half-close: the client's FIN must reach dst, whose close must then reach the client. */
    @Test
    void uploadArrivesIntactAndHalfCloseIsPropagated() {
        net.dst.background("upload-sink", "nc -dl 9000 | sha256sum | cut -d' ' -f1 >/tmp/upload.sha");
        net.dst.awaitListening(9000, 10, "upload-sink");
        String sent = net.client.sh("head -c 8M /dev/urandom >/tmp/up && sha256sum </tmp/up | cut -d' ' -f1").trim();
        net.client.sh("timeout 60 nc -N " + net.dstIp() + " 9000 </tmp/up");
        String received = net.dst.sh("for i in $(seq 50); do [ -s /tmp/upload.sha ] && break; sleep 0.1; done; "
                + "cat /tmp/upload.sha").trim();
        assertEquals(sent, received, "sha256 of the bytes dst received through the gateway");
    }

    /** Two shaped links carry more than one could, client to dst and back; prints the numbers. */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"upload", "download"})
    void twoLinksCarryMoreThanOne(String direction) {
        long[] before = {net.linkBytes(1), net.linkBytes(2)};
        double mbit = iperf3Mbit(8, direction.equals("download"));
        long link1 = net.linkBytes(1) - before[0];
        long link2 = net.linkBytes(2) - before[1];
        System.out.printf("aggregation, %s: %.1f Mbit/s through 2 x %d Mbit/s links; link1 %d MB, link2 %d MB%n",
                direction, mbit, LINK_MBIT, link1 >> 20, link2 >> 20);
        assertTrue(link2 > (1 << 20), "link 2 carried " + link2 + " bytes: no second subflow");
        assertTrue(mbit > LINK_MBIT * 1.2, "aggregate " + mbit + " Mbit/s is not above one link's " + LINK_MBIT);
    }

    /**
     * Link 2 goes down mid-transfer, once it has carried part of it, and comes back: the transfer completes intact,
     * and link 2 carries traffic again afterwards.
     */
    @Test
    void transferSurvivesLinkDownAndUp() throws Exception {
        long atStart = net.linkBytes(2);
        // 3 MB/s (24 Mbit/s) needs both links, so link 2 carries part of the flow when it is cut.
        CompletableFuture<String> download = CompletableFuture.supplyAsync(() -> net.client.sh(
                "curl -sS --fail --max-time 90 --limit-rate 3M http://" + net.dstIp() + ":" + Topology.HTTP_PORT
                        + "/blob | sha256sum | cut -d' ' -f1").trim());
        // The cut must hit a subflow in use: it happens once link 2 has carried 1 MiB of this transfer.
        long beforeCut = awaitLinkCarried(2, atStart, 1 << 20, download, "before the cut");
        try {
            net.link(2, false);
            System.out.println("link-cut: link 2 down after it carried " + (beforeCut >> 10) + " KiB of the transfer");
            Thread.sleep(2000); // the outage itself: 2 s without link 2, not a wait for readiness
        } finally {
            net.link(2, true);
        }
        long atRestore = net.linkBytes(2);
        String got = download.get(90, TimeUnit.SECONDS);
        long afterRestore = net.linkBytes(2) - atRestore;
        System.out.println("link-cut: link 2 back up; it carried " + (afterRestore >> 10)
                + " KiB of the same transfer after that");
        assertEquals(net.blobSha256(), got, "sha256 of the blob received across the link cut");

        long before = net.linkBytes(2);
        double mbit = iperf3Mbit(3, false);
        long link2 = net.linkBytes(2) - before;
        System.out.printf("link-cut: a new flow after the restore: %.1f Mbit/s, link 2 carried %d KiB%n",
                mbit, link2 >> 10);
        assertTrue(link2 > (256 << 10), "link 2 carried only " + link2 + " bytes of a new flow after coming back");
    }

    /**
     * Waits until link {@code i} has carried {@code bytes} (both directions, gw's counters) since the count
     * {@code since} while {@code transfer} runs; returns what it carried. Fails, with the figure, when the transfer
     * ends first or 15 s pass: the flow is not using that link.
     */
    long awaitLinkCarried(int i, long since, long bytes, CompletableFuture<?> transfer, String what)
            throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        long carried = net.linkBytes(i) - since;
        while (carried < bytes && !transfer.isDone() && System.nanoTime() < deadline) {
            Thread.sleep(100); // poll interval, bounded by the deadline
            carried = net.linkBytes(i) - since;
        }
        assertTrue(carried >= bytes, "link " + i + " carried only " + carried + " bytes of the transfer " + what
                + " (expected >= " + bytes + "; transfer " + (transfer.isDone() ? "already over" : "still running")
                + "): it does not carry part of the flow");
        return carried;
    }

    /**
     * The gateway's metrics tell the truth about a real flow: it counts the bytes, sees two subflows, attributes
     * bytes to both paths, and no MPTCP fallback happened.
     */
    @Test
    void metricsShowBothPaths() {
        iperf3Mbit(4, false);
        Map<String, Double> series = net.gatewayMetrics();
        long busyPaths = series.entrySet().stream()
                .filter(e -> e.getKey().startsWith("mpgw_gateway_path_bytes_total{") && e.getKey().contains("\"sent\""))
                .filter(e -> e.getValue() > (1 << 20))
                .count();
        String metrics = String.join("\n", series.keySet().stream().sorted().map(k -> k + " " + series.get(k))
                .collect(Collectors.toList()));
        assertAll(
                () -> assertTrue(series.getOrDefault("mpgw_gateway_bytes_total{direction=\"up\"}", 0.0) > (4 << 20),
                        "bytes up counted:\n" + metrics),
                () -> assertTrue(series.getOrDefault("mpgw_gateway_upstream_subflows_max", 0.0) >= 2,
                        "two subflows seen:\n" + metrics),
                () -> assertTrue(busyPaths >= 2, "two paths carried > 1 MiB each:\n" + metrics),
                () -> assertEquals(0.0, series.getOrDefault("mpgw_gateway_mptcp_fallbacks_total", -1.0),
                        "no MPTCP fallback:\n" + metrics));
    }

    /**
     * iperf3 from client to dst through the gateway (dst to client when {@code reverse}); the receiver's rate in
     * Mbit/s, the first 2 s left out.
     */
    double iperf3Mbit(int seconds, boolean reverse) {
        String bps = net.client.sh("iperf3 --client " + net.dstIp() + " --port " + Topology.IPERF_PORT
                + (reverse ? " --reverse" : "") + " --time " + seconds + " --omit 2 --json | python3 -c "
                + "'import json,sys; print(json.load(sys.stdin)[\"end\"][\"sum_received\"][\"bits_per_second\"])'");
        return Double.parseDouble(bps.trim()) / 1e6;
    }
}
