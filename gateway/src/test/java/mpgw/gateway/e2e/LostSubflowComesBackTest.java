package mpgw.gateway.e2e;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import mpgw.testbed.DanteServer;
import mpgw.testbed.EchoService;
import mpgw.testbed.EchoTransfer;
import mpgw.testbed.GatewayProcess;
import mpgw.testbed.Metrics;
import mpgw.testbed.SourceTree;
import mpgw.testbed.Subflows;
import mpgw.testbed.Testbed;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * mptcp_net-next #440 and the gateway's path watcher: a long transfer runs over two links; link 2 goes down until
 * its subflow has died (the kernel gives up on it), then comes back. The kernel alone never opens that subflow
 * again; the gateway's path watcher sees the link come up and re-announces the link's MPTCP endpoint, and the same
 * connection gets its second subflow back, which carries bytes again.
 *
 * <p>Endpoint layout for this: router A has a 'subflow' endpoint on wan2 (iptables/mpgw-endpoints --role gateway
 * --wan wan2) with source routing for it; router B announces nothing.
 */
class LostSubflowComesBackTest {
    private static final int DANTE_PORT = 1080;
    private static final int ECHO_PORT = 7000;

    @TempDir
    static Path work;
    private static Testbed tb;
    private static DanteServer dante;
    private static EchoService echo;

    @BeforeAll
    static void testbed() throws Exception {
        tb = Testbed.up("mpgwgwp-", "--links", "2", "--rate", "20mbit");
        String endpoints = "bash " + SourceTree.script("iptables/mpgw-endpoints");
        tb.exec(tb.srv(), endpoints + " remove");
        tb.exec(tb.gw(), endpoints + " --role gateway --wan wan2");
        tb.exec(tb.gw(), "ip rule add from " + tb.get("GW_WAN2_IP") + " table 102 && " + wan2Route());
        // A subflow whose link is down dies after a few retransmissions instead of after ~15 minutes.
        for (String ns : new String[] {tb.gw(), tb.srv()}) {
            tb.exec(ns, "sysctl -qw net.ipv4.tcp_retries2=3");
        }
        tb.exec(tb.gw(), "bash " + SourceTree.script("iptables/mpgw-rules") + " install --no-udp --lan "
                + tb.get("LAN_CIDR"));
        dante = DanteServer.start(tb.srv(), DANTE_PORT, "out0", null, work.resolve("dante"));
        echo = EchoService.start(tb, tb.dst(), new InetSocketAddress("0.0.0.0", ECHO_PORT));
    }

    /** Subflows from wan2's address go out through wan2 to router B (removed with the link; restored after). */
    private static String wan2Route() {
        return "ip route replace " + tb.get("SRV_IP") + " via " + tb.get("SRV_WAN2_IP") + " dev wan2 table 102";
    }

    @AfterAll
    static void teardown() throws Exception {
        if (echo != null) {
            echo.close();
        }
        if (dante != null) {
            dante.close();
        }
        if (tb != null) {
            tb.close();
        }
    }

    @Test
    void theSecondSubflowComesBackAfterItsLinkReturns() throws Exception {
        String config = """
                gateway {
                  servers = ["%s:%d"]
                  metrics.listen = "127.0.0.1:9464"
                  path-watcher.reannounce-delay = 500ms
                }
                """.formatted(tb.get("SRV_IP"), DANTE_PORT);
        String wan2 = tb.get("GW_WAN2_IP");
        try (GatewayProcess gw = GatewayProcess.start(tb.gw(), config, work)) {
            gw.awaitLine("path watcher on");
            Socket s = EchoTransfer.connect(tb, tb.client(), new InetSocketAddress(tb.get("DST_IP"), ECHO_PORT));
            CompletableFuture<EchoTransfer.Result> transfer = CompletableFuture.supplyAsync(() -> {
                try {
                    return EchoTransfer.over(s, 64 << 20, 50);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            awaitSubflows(m -> m.containsKey(wan2), "a subflow from " + wan2, 10);

            tb.link(2, false);
            long down = System.nanoTime();
            awaitSubflows(m -> !m.containsKey(wan2), "the subflow from " + wan2 + " to die", 30);
            System.out.println("wan2 down: its subflow died after " + millisSince(down) + " ms");

            tb.link(2, true);
            tb.exec(tb.gw(), wan2Route());
            long up = System.nanoTime();
            Map<String, Long> back = awaitSubflows(m -> m.containsKey(wan2), "a new subflow from " + wan2, 10);
            System.out.println("wan2 up: a new subflow after " + millisSince(up) + " ms");
            gw.awaitLine("re-announced MPTCP endpoint " + wan2);
            Map<String, Long> later = awaitSubflows(m -> m.getOrDefault(wan2, 0L) > back.get(wan2) + (256 << 10),
                    "the new subflow to carry 256 KiB", 10);
            System.out.println("the new subflow carried " + (later.get(wan2) - back.get(wan2)) + " bytes within "
                    + millisSince(up) + " ms of the link coming up");

            EchoTransfer.Result r = transfer.get(120, TimeUnit.SECONDS);
            System.out.println("transfer across the outage: " + r);
            assertTrue(r.intact(), r.toString());
            Metrics m = Metrics.scrape(tb, tb.gw(), "127.0.0.1:9464");
            assertTrue(m.sum("mpgw_gateway_path_reannounces_total", "interface=\"wan2\"") >= 1, m.toString());
        }
    }

    /** The control: with the watcher off the kernel leaves the connection on one subflow (mptcp_net-next #440). */
    @Test
    void withoutTheWatcherTheSubflowStaysLost() throws Exception {
        String config = """
                gateway {
                  servers = ["%s:%d"]
                  metrics.listen = ""
                  path-watcher.enabled = off
                }
                """.formatted(tb.get("SRV_IP"), DANTE_PORT);
        String wan2 = tb.get("GW_WAN2_IP");
        try (GatewayProcess gw = GatewayProcess.start(tb.gw(), config, work);
             Socket s = EchoTransfer.connect(tb, tb.client(), new InetSocketAddress(tb.get("DST_IP"), ECHO_PORT))) {
            CompletableFuture.runAsync(() -> {
                try {
                    EchoTransfer.over(s, 256 << 20, 51);
                } catch (Exception e) {
                    // closed below, on purpose
                }
            });
            awaitSubflows(m -> m.containsKey(wan2), "a subflow from " + wan2, 10);
            tb.link(2, false);
            awaitSubflows(m -> !m.containsKey(wan2), "the subflow from " + wan2 + " to die", 30);
            tb.link(2, true);
            tb.exec(tb.gw(), wan2Route());
            Thread.sleep(5_000);
            Map<String, Long> now = Subflows.bytesAckedByLocalAddress(tb, tb.gw(), DANTE_PORT);
            assertTrue(now.containsKey(tb.get("GW_WAN1_IP")) && !now.containsKey(wan2),
                    "expected the connection to stay on wan1 alone: " + now);
        }
    }

    private Map<String, Long> awaitSubflows(Predicate<Map<String, Long>> wanted, String what, int seconds)
            throws Exception {
        return Subflows.await(tb, tb.gw(), DANTE_PORT, wanted, what, seconds);
    }

    private static long millisSince(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - nanos);
    }
}
