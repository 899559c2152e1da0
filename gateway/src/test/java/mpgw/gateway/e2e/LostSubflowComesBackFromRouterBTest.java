package mpgw.gateway.e2e;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import mpgw.testbed.EchoService;
import mpgw.testbed.EchoTransfer;
import mpgw.testbed.GatewayProcess;
import mpgw.testbed.Metrics;
import mpgw.testbed.SocksServerProcess;
import mpgw.testbed.SourceTree;
import mpgw.testbed.Subflows;
import mpgw.testbed.Testbed;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * mptcp_net-next #440 in the recommended endpoint layout: router B announces its second link's address as a
 * 'signal' endpoint and router A has no endpoints, so only router B can bring a lost subflow back. The
 * socks-server's path watcher sees its wan2 come back up and re-announces the endpoint; the gateway's connection
 * that lost its wan2 subflow gets a new one, which carries bytes, and the transfer across the outage is intact.
 */
class LostSubflowComesBackFromRouterBTest {
    private static final int SERVER_PORT = 1080;
    private static final int ECHO_PORT = 7000;

    @TempDir
    static Path work;
    private static Testbed tb;
    private static EchoService echo;

    @BeforeAll
    static void testbed() throws Exception {
        tb = Testbed.up("mpgwgwb-", "--links", "2", "--rate", "20mbit");
        // A subflow whose link is down dies after a few retransmissions instead of after ~15 minutes.
        for (String ns : new String[] {tb.gw(), tb.srv()}) {
            tb.exec(ns, "sysctl -qw net.ipv4.tcp_retries2=3");
        }
        tb.exec(tb.gw(), "bash " + SourceTree.script("iptables/mpgw-rules") + " install --no-udp --lan "
                + tb.get("LAN_CIDR") + " --server " + tb.get("SRV_IP") + " --server " + tb.get("SRV_WAN2_IP"));
        echo = EchoService.start(tb, tb.dst(), new InetSocketAddress("0.0.0.0", ECHO_PORT));
    }

    @AfterAll
    static void teardown() throws Exception {
        if (echo != null) {
            echo.close();
        }
        if (tb != null) {
            tb.close();
        }
    }

    @Test
    void theServersWatcherBringsTheSecondSubflowBack() throws Exception {
        String server = """
                server {
                  listen = ["0.0.0.0:%d"]
                  metrics.listen = "127.0.0.1:9465"
                  path-watcher.reannounce-delay = 500ms
                }
                """.formatted(SERVER_PORT);
        String gateway = """
                gateway {
                  servers = ["%s:%d"]
                  metrics.listen = ""
                }
                """.formatted(tb.get("SRV_IP"), SERVER_PORT);
        String wan2 = tb.get("GW_WAN2_IP");
        try (SocksServerProcess srv = SocksServerProcess.start(tb.srv(), server, work.resolve("srv"));
             GatewayProcess gw = GatewayProcess.start(tb.gw(), gateway, work.resolve("gw"))) {
            srv.daemon().awaitLine("path watcher on", java.time.Duration.ofSeconds(10));
            Socket s = EchoTransfer.connect(tb, tb.client(), new InetSocketAddress(tb.get("DST_IP"), ECHO_PORT));
            CompletableFuture<EchoTransfer.Result> transfer = CompletableFuture.supplyAsync(() -> {
                try {
                    return EchoTransfer.over(s, 64 << 20, 52);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            Subflows.await(tb, tb.gw(), SERVER_PORT, m -> m.containsKey(wan2), "a subflow from " + wan2, 10);

            tb.link(2, false);
            Subflows.await(tb, tb.gw(), SERVER_PORT, m -> !m.containsKey(wan2), "the subflow from " + wan2
                    + " to die", 30);
            tb.link(2, true);
            long up = System.nanoTime();
            Map<String, Long> back = Subflows.await(tb, tb.gw(), SERVER_PORT, m -> m.containsKey(wan2),
                    "a new subflow from " + wan2, 10);
            System.out.println("wan2 up: router B re-announced; a new subflow after "
                    + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - up) + " ms");
            Subflows.await(tb, tb.gw(), SERVER_PORT, m -> m.getOrDefault(wan2, 0L) > back.get(wan2) + (256 << 10),
                    "the new subflow to carry 256 KiB", 10);

            EchoTransfer.Result r = transfer.get(120, TimeUnit.SECONDS);
            assertTrue(r.intact(), r.toString());
            Metrics m = Metrics.scrape(tb, tb.srv(), "127.0.0.1:9465");
            assertTrue(m.sum("mpgw_server_path_reannounces_total", "interface=\"wan2\"") >= 1, m.toString());
        }
    }
}
