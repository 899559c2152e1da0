package mpgw.gateway.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import mpgw.testbed.BulkPeer;
import mpgw.testbed.Daemon;
import mpgw.testbed.EchoTransfer;
import mpgw.testbed.GatewayProcess;
import mpgw.testbed.Metrics;
import mpgw.testbed.SocksServerProcess;
import mpgw.testbed.SourceTree;
import mpgw.testbed.Teardown;
import mpgw.testbed.Testbed;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 15 through the kernel: link roles as MPTCP endpoint backup flags on router A, link probes answered by the
 * socks-server's probe responder on router B, a blackhole made with nft on router A's wan1 (both directions, the
 * carrier stays up), and a quota. The testbed's two links are 20 Mbit/s (tbf); router B announces its wan2
 * address, so every flow has a subflow on each link. Link shares are read from router A's interface counters
 * (rx for a download, tx for an upload), stalls from the receiver's bytes per 100 ms.
 */
class LinkRolesTest {
    private static final int SOCKS_PORT = 1080;
    private static final int PROBE_PORT = 1081;
    private static final int BULK_PORT = 7100;
    private static final String METRICS = "127.0.0.1:9464";
    private static final double LINK_BYTES_PER_SECOND = 20e6 / 8;

    @TempDir
    static Path work;
    private static final Teardown services = new Teardown();
    private static Testbed tb;
    private static InetSocketAddress bulk;

    @BeforeAll
    static void testbed() throws Exception {
        tb = services.add(Testbed.up("mpgwlk-", "--links", "2", "--rate", "20mbit"));
        tb.exec(tb.gw(), "bash " + SourceTree.script("iptables/mpgw-rules") + " install --no-udp --lan "
                + tb.get("LAN_CIDR"));
        services.add(SocksServerProcess.start(tb.srv(), """
                server {
                  listen = ["[::]:%d"]
                  mptcp = required
                  metrics.listen = ""
                  shutdown-grace = 1s
                  probe { enabled = on, listen = "[::]:%d", allow = ["10.0.0.0/8"] }
                }
                """.formatted(SOCKS_PORT, PROBE_PORT), work));
        services.add(BulkPeer.start(tb, tb.dst(), new InetSocketAddress("0.0.0.0", BULK_PORT)));
        bulk = new InetSocketAddress(tb.get("DST_IP"), BULK_PORT);
    }

    @AfterAll
    static void teardown() {
        services.close();
    }

    @AfterEach
    void restoreWan1() throws Exception {
        tb.exec(tb.gw(), "nft delete table inet mpgwlk_blackhole 2>/dev/null || true");
        tb.exec(tb.gw(), "nft delete table inet mpgwlk_lossy 2>/dev/null || true");
    }

    private static GatewayProcess gateway(String links) throws Exception {
        return gateway(links, "");
    }

    private static GatewayProcess gateway(String links, String extra) throws Exception {
        return GatewayProcess.start(tb.gw(), """
                gateway {
                  servers = ["%s:%d", "%s:%d"]
                  metrics.listen = "%s"
                  links = %s
                  link-quota.state-file = "%s"
                  link-quota.save-interval = 1s
                  %s
                }
                """.formatted(tb.get("SRV_WAN1_IP"), SOCKS_PORT, tb.get("SRV_WAN2_IP"), SOCKS_PORT, METRICS, links,
                work.resolve("link-quota.state"), extra), work);
    }

    private static String link(int n, String role, String extra) {
        return "{ interface = \"wan" + n + "\", role = " + role + ", probe = \"" + tb.get("SRV_WAN" + n + "_IP") + ":"
                + PROBE_PORT + "\"" + extra + " }";
    }

    /** Drops everything on router A's wan1, in and out; the link keeps its carrier. */
    private static void blackholeWan1() throws Exception {
        tb.exec(tb.gw(), """
                nft -f - <<'NFT'
                table inet mpgwlk_blackhole {
                  chain in { type filter hook input priority -10; iifname "wan1" drop; }
                  chain out { type filter hook output priority -10; oifname "wan1" drop; }
                }
                NFT""");
    }

    private static void restoreWan1Traffic() throws Exception {
        tb.exec(tb.gw(), "nft delete table inet mpgwlk_blackhole");
    }

    /** Router A's byte counter {@code rx_bytes} or {@code tx_bytes} of link {@code n}. */
    private static long counter(int n, String which) throws Exception {
        return Long.parseLong(tb.exec(tb.gw(), "cat /sys/class/net/wan" + n + "/statistics/" + which).trim());
    }

    private static long[] counters(String which) throws Exception {
        return new long[] {counter(1, which), counter(2, which)};
    }

    private static double share(long[] before, long[] after, int link) {
        double l1 = after[0] - before[0];
        double l2 = after[1] - before[1];
        return (link == 1 ? l1 : l2) / (l1 + l2);
    }

    private static void sleepUntil(long startNanos, long millis) throws InterruptedException {
        long left = startNanos + millis * 1_000_000 - System.nanoTime();
        if (left > 0) {
            Thread.sleep(left / 1_000_000, (int) (left % 1_000_000));
        }
    }

    @Test
    void aBackupLinkCarriesAtMostTwoPercentOfA20SecondTransferEachWayWhileThePrimaryIsUp() throws Exception {
        try (GatewayProcess gw = gateway("[" + link(1, "primary", "") + ", " + link(2, "backup", "") + "]")) {
            long[] rx0 = counters("rx_bytes");
            BulkPeer.Intervals down = BulkPeer.download(tb, tb.client(), bulk, 20_000);
            long[] rx1 = counters("rx_bytes");
            long[] tx0 = counters("tx_bytes");
            long up = BulkPeer.upload(tb, tb.client(), bulk, 20_000);
            long[] tx1 = counters("tx_bytes");
            System.out.printf("primary wan1 + backup wan2, 20 s each way: download %d bytes, wan2 share %.2f %%;"
                    + " upload %d bytes, wan2 share %.2f %%%n", down.total(), 100 * share(rx0, rx1, 2), up,
                    100 * share(tx0, tx1, 2));
            assertTrue(share(rx0, rx1, 2) <= 0.02, "download: wan2 carried " + 100 * share(rx0, rx1, 2) + " %");
            assertTrue(share(tx0, tx1, 2) <= 0.02, "upload: wan2 carried " + 100 * share(tx0, tx1, 2) + " %");
            assertTrue(down.total() >= 0.7 * LINK_BYTES_PER_SECOND * 20, "download too slow: " + down.total());
            Metrics m = Metrics.scrape(tb, tb.gw(), METRICS);
            assertEquals(1, m.sum("mpgw_gateway_link_backup", "interface=\"wan2\""));
            assertEquals(0, m.sum("mpgw_gateway_link_backup", "interface=\"wan1\""));
            assertTrue(m.sum("mpgw_gateway_link_probes_total", "interface=\"wan1\"", "result=\"answered\"") > 100);
            assertTrue(tb.exec(tb.gw(), "ip mptcp endpoint show").contains("backup dev wan2"));
        }
        assertTrue(!tb.exec(tb.gw(), "ip mptcp endpoint show").contains("wan"), "endpoints left behind");
    }

    @Test
    void aBlackholedPrimaryFailsOverToTheBackupWithin2sAndTakesTheTrafficBackWhenItPassesAgain() throws Exception {
        try (GatewayProcess gw = gateway("[" + link(1, "primary", "") + ", " + link(2, "backup", "") + "]")) {
            long start = System.nanoTime();
            CompletableFuture<BulkPeer.Intervals> transfer = CompletableFuture.supplyAsync(() -> {
                try {
                    return BulkPeer.download(tb, tb.client(), bulk, 17_000);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            sleepUntil(start, 3_000);
            blackholeWan1();
            sleepUntil(start, 8_000);
            restoreWan1Traffic();
            sleepUntil(start, 13_000);
            long[] a = counters("rx_bytes");
            sleepUntil(start, 16_000);
            long[] b = counters("rx_bytes");
            BulkPeer.Intervals d = transfer.get();
            long stall = d.longestStallMillis(30);
            System.out.printf("wan1 blackholed at 3 s, restored at 8 s: longest stall %d ms; bytes 4-8 s %d;"
                    + " 13-16 s: wan1 %.1f %%, wan2 %.2f %%%n", stall, d.between(40, 80), 100 * share(a, b, 1),
                    100 * share(a, b, 2));
            assertTrue(stall <= 2_000, "stall " + stall + " ms");
            assertTrue(d.between(50, 80) >= 0.5 * LINK_BYTES_PER_SECOND * 3, "too little over wan2 while wan1 was"
                    + " blackholed: " + d.between(50, 80));
            assertTrue(share(a, b, 1) >= 0.90 && share(a, b, 2) <= 0.02, "5 s after the restore: wan1 "
                    + share(a, b, 1) + ", wan2 " + share(a, b, 2));
            String down = gw.awaitLine("link wan1: up -> down");
            assertTrue(down.contains("unanswered in a row, carrier up"), down);
            gw.awaitLine("link wan1: down -> up");
            assertEquals(1, gw.daemon().linesContaining("link wan1: up -> down").size(), gw.daemon().log());
        }
    }

    @Test
    void withTwoPrimariesTheFlowLeavesABlackholedOneWithin2sAndNewFlowsDoNotWaitOnIt() throws Exception {
        try (GatewayProcess gw = gateway("[" + link(1, "primary", "") + ", " + link(2, "primary", "") + "]")) {
            long start = System.nanoTime();
            CompletableFuture<BulkPeer.Intervals> transfer = CompletableFuture.supplyAsync(() -> {
                try {
                    return BulkPeer.download(tb, tb.client(), bulk, 9_000);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            sleepUntil(start, 2_000);
            blackholeWan1();
            sleepUntil(start, 3_000);
            long t0 = System.nanoTime();
            try (Socket s = EchoTransfer.connect(tb, tb.client(), bulk)) {
                s.setSoTimeout(5_000);
                s.getOutputStream().write('D');
                assertTrue(s.getInputStream().read() >= 0);
            }
            long newFlowMillis = (System.nanoTime() - t0) / 1_000_000;
            BulkPeer.Intervals d = transfer.get();
            long stall = d.longestStallMillis(20);
            System.out.printf("two primaries, wan1 blackholed at 2 s: longest stall %d ms, bytes 4-9 s %d"
                    + " (%.1f Mbit/s); a new flow's first byte after %d ms%n", stall, d.between(40, 90),
                    d.between(40, 90) * 8 / 5e6, newFlowMillis);
            assertTrue(stall <= 2_000, "stall " + stall + " ms");
            assertTrue(d.between(40, 90) >= 0.7 * LINK_BYTES_PER_SECOND * 5, "not all on wan2: " + d.between(40, 90));
            assertTrue(newFlowMillis < 1_000, "a new flow waited " + newFlowMillis + " ms");
        }
    }

    @Test
    void aMeteredPrimaryStopsAtItsQuotaAndTheCountSurvivesARestart() throws Exception {
        Files.deleteIfExists(work.resolve("link-quota.state"));
        String links = "[" + link(1, "primary", "") + ", " + link(2, "primary", ", quota = 5MB") + "]";
        try (GatewayProcess gw = gateway(links)) {
            long start = System.nanoTime();
            CompletableFuture<BulkPeer.Intervals> transfer = CompletableFuture.supplyAsync(() -> {
                try {
                    return BulkPeer.download(tb, tb.client(), bulk, 14_000);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            String spent = gw.daemon().awaitLine("link wan2: up -> quota-spent", Duration.ofSeconds(12));
            long spentAt = (System.nanoTime() - start) / 1_000_000;
            sleepUntil(start, Math.max(spentAt + 2_000, 9_000));
            long[] a = counters("rx_bytes");
            sleepUntil(start, Math.max(spentAt + 4_000, 12_000));
            long[] b = counters("rx_bytes");
            transfer.get();
            System.out.printf("wan2 quota 5MB spent after %d ms (%s); then wan2 share %.2f %%%n", spentAt, spent,
                    100 * share(a, b, 2));
            assertTrue(share(a, b, 2) <= 0.02, "wan2 still carries " + share(a, b, 2));
            double used = Metrics.scrape(tb, tb.gw(), METRICS).sum("mpgw_gateway_link_quota_used_bytes",
                    "interface=\"wan2\"");
            assertTrue(used >= 5_000_000, "quota used " + used);
        }
        String state = Files.readString(work.resolve("link-quota.state"));
        System.out.println("state file after stop:\n" + state);
        assertTrue(state.contains("wan2.bytes = "), state);
        try (GatewayProcess gw = gateway(links)) {
            String line = gw.awaitLine("links: ");
            assertTrue(line.contains("wan2 primary quota-spent"), line);
        }
    }

    /**
     * {@code link-quota.action = off}: once wan2's quota is spent it carries nothing, not even while wan1 is
     * blackholed (a backup-flagged link would then carry the flow): its subflows are destroyed and new ones are
     * refused by an nft rule, which is gone again when the gateway stops.
     */
    @Test
    void aSpentLinkWithActionOffCarriesNothingEvenWhenTheOtherLinkIsDead() throws Exception {
        Files.deleteIfExists(work.resolve("link-quota.state"));
        String links = "[" + link(1, "primary", "") + ", " + link(2, "primary", ", quota = 5MB") + "]";
        try (GatewayProcess gw = gateway(links, "link-quota.action = off")) {
            CompletableFuture<BulkPeer.Intervals> transfer = CompletableFuture.supplyAsync(() -> {
                try {
                    return BulkPeer.download(tb, tb.client(), bulk, 16_000);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            String spent = gw.daemon().awaitLine("link wan2: up -> quota-spent", Duration.ofSeconds(12));
            Thread.sleep(1_000);
            String wan2Subflows = tb.exec(tb.gw(), "ss -tnH state established src " + tb.get("GW_WAN2_IP")
                    + " '( dport = :" + SOCKS_PORT + " )'");
            assertTrue(wan2Subflows.isBlank(), "subflows left on wan2:\n" + wan2Subflows);
            assertTrue(tb.exec(tb.gw(), "nft list tables").contains("mpgw_off_wan2"));

            blackholeWan1();
            long[] a = counters("rx_bytes");
            long[] at = counters("tx_bytes");
            Thread.sleep(3_000);
            long[] b = counters("rx_bytes");
            long[] bt = counters("tx_bytes");
            restoreWan1Traffic();
            long wan2Bytes = (b[1] - a[1]) + (bt[1] - at[1]);
            BulkPeer.Intervals d = transfer.get(); // throws when the flow ended early
            System.out.printf("wan2 quota 5MB spent, action off (%s); wan1 blackholed 3 s: wan2 carried %d bytes"
                    + " (probes only); the flow went on after wan1 passed again: %d bytes in all%n", spent,
                    wan2Bytes, d.total());
            assertTrue(spent.contains("carries no traffic now (link-quota.action = off)"), spent);
            // 3 s of probes and their answers (~15 of 74 bytes each way) and a few refused SYNs: no flow data
            assertTrue(wan2Bytes < 20_000, "wan2 carried " + wan2Bytes + " bytes while wan1 was dead");
        }
        assertTrue(!tb.exec(tb.gw(), "nft list tables").contains("mpgw_off_wan2"),
                "the cut-off rule outlived the gateway");
    }

    @Test
    void aLinkLosingEveryTenthProbeIsDegradedKeepsItsRoleAndIsUpAgainOnceAllItsProbesComeBack() throws Exception {
        try (GatewayProcess gw = gateway("[" + link(1, "primary", "") + ", " + link(2, "backup", "") + "]")) {
            gw.awaitLine("links: ");
            // every tenth probe over wan1 dropped: never two in a row (so never down), 2 of every 20 lost
            tb.exec(tb.gw(), """
                    nft -f - <<'NFT'
                    table inet mpgwlk_lossy {
                      chain out { type filter hook output priority -10; oifname "wan1" udp dport %d numgen inc mod 10 == 0 drop; }
                    }
                    NFT""".formatted(PROBE_PORT));
            long t0 = System.nanoTime();
            String degraded = gw.daemon().awaitLine("link wan1: up -> degraded", Duration.ofSeconds(15));
            long degradedMillis = (System.nanoTime() - t0) / 1_000_000;
            Metrics m = Metrics.scrape(tb, tb.gw(), METRICS);
            assertEquals(1, m.sum("mpgw_gateway_link_state", "interface=\"wan1\"", "state=\"degraded\""));
            assertEquals(0, m.sum("mpgw_gateway_link_backup", "interface=\"wan1\""), "a degraded link keeps its role");
            assertEquals(1, m.sum("mpgw_gateway_link_backup", "interface=\"wan2\""));
            tb.exec(tb.gw(), "nft delete table inet mpgwlk_lossy");
            long t1 = System.nanoTime();
            gw.daemon().awaitLine("link wan1: degraded -> up", Duration.ofSeconds(10));
            long upMillis = (System.nanoTime() - t1) / 1_000_000;
            System.out.printf("wan1 losing every 10th probe: degraded after %d ms (%s); up again %d ms after the"
                    + " loss ended%n", degradedMillis, degraded, upMillis);
            assertTrue(degraded.contains("of the last 20 unanswered, carrier up; keeps its role"), degraded);
            assertTrue(gw.daemon().linesContaining("-> down").isEmpty(), gw.daemon().log());
            assertEquals(2, gw.daemon().linesContaining("link wan1: ").stream().filter(l -> l.contains(" -> "))
                    .count(), gw.daemon().log());
        }
    }

    @Test
    void aLinkFlapping10TimesIn20sEndsNoFlowLeavesNothingBehindAndLogsOneLinePerChange() throws Exception {
        try (GatewayProcess gw = gateway("[" + link(1, "primary", "") + ", " + link(2, "backup", "") + "]")) {
            long start = System.nanoTime();
            CompletableFuture<BulkPeer.Intervals> transfer = CompletableFuture.supplyAsync(() -> {
                try {
                    return BulkPeer.download(tb, tb.client(), bulk, 25_000);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            for (int i = 0; i < 10; i++) {
                // one second off, one second on: carrier lost and blackholed in turn
                sleepUntil(start, 2_000 + 2_000L * i);
                if (i % 2 == 0) {
                    tb.link(1, false);
                } else {
                    blackholeWan1();
                }
                sleepUntil(start, 3_000 + 2_000L * i);
                if (i % 2 == 0) {
                    tb.link(1, true);
                } else {
                    restoreWan1Traffic();
                }
            }
            BulkPeer.Intervals d = transfer.get(); // throws when the flow ended early
            long changes = gw.daemon().linesContaining("link wan1: ").stream().filter(l -> l.contains(" -> ")).count();
            long lost = (long) Metrics.scrape(tb, tb.gw(), METRICS).sum("mpgw_gateway_link_probes_total",
                    "interface=\"wan1\"", "result=\"lost\"");
            System.out.printf("wan1 flapping 10 times in 20 s: %d bytes, %d bytes in the last 3 s, %d state lines for"
                    + " wan1, %d probes lost%n", d.total(), d.between(220, 250), changes, lost);
            assertTrue(d.between(220, 250) > 0.5 * LINK_BYTES_PER_SECOND * 3, "the flow stalled at the end");
            // 1 s on is 5 answers, fewer than up-after (10): wan1 goes down once and comes back once, after the end
            assertTrue(changes >= 2 && changes <= 4, changes + " state lines:\n" + gw.daemon().log());
            assertTrue(lost > changes, "probes lost " + lost);
        }
        String endpoints = tb.exec(tb.gw(), "ip mptcp endpoint show");
        assertTrue(!endpoints.contains("wan"), "endpoints left behind:\n" + endpoints);
        String mptcp = "";
        for (int i = 0; i < 50; i++) {
            mptcp = tb.exec(tb.gw(), "ss -MHn");
            if (mptcp.isBlank()) {
                break;
            }
            Thread.sleep(100);
        }
        assertTrue(mptcp.isBlank(), "MPTCP connections left behind:\n" + mptcp);
    }

    @Test
    void mpgwCheckPrintsALineForEachLinkAndFailsOnAnUnansweredProbeOrAMissingInterface() throws Exception {
        Path config = work.resolve("check.conf");
        Files.writeString(config, """
                gateway {
                  servers = ["%s:%d", "%s:%d"]
                  links = [%s, %s, { interface = "wan9", role = backup }]
                }
                """.formatted(tb.get("SRV_WAN1_IP"), SOCKS_PORT, tb.get("SRV_WAN2_IP"), SOCKS_PORT,
                link(1, "primary", ""), link(2, "backup", ", quota = 5MB")));
        blackholeWan1();
        Daemon check = Daemon.startIn(tb.gw(), "check", Daemon.java("mpgw.gateway.check.CheckMain", "--config",
                config.toString()));
        assertEquals(1, check.awaitExit(Duration.ofSeconds(60)), check.log());
        System.out.println(check.log());
        assertTrue(check.log().contains("FAIL link: wan1 primary, carrier up, " + tb.get("GW_WAN1_IP")
                + " no endpoint (the gateway adds one at start), probe " + tb.get("SRV_WAN1_IP") + ":" + PROBE_PORT
                + " unanswered in 1 s; fix: server.probe { enabled = on }"), check.log());
        assertTrue(check.log().contains("OK   link: wan2 backup quota 5000000/month, carrier up, " + tb.get("GW_WAN2_IP")
                + " no endpoint (the gateway adds one at start), probe " + tb.get("SRV_WAN2_IP") + ":" + PROBE_PORT
                + " answered in "), check.log());
        assertTrue(check.log().contains("FAIL link: wan9 backup: no such interface, or it has no global address"),
                check.log());
    }

    @Test
    void udpStreamSessionsFollowTheSameRoles() throws Exception {
        // UDP to the gateway's TPROXY listener (stream mode, the default), and never the plain route instead
        tb.exec(tb.gw(), "bash " + SourceTree.script("iptables/mpgw-rules") + " install --lan " + tb.get("LAN_CIDR")
                + " --server " + tb.get("SRV_WAN1_IP") + " --server " + tb.get("SRV_WAN2_IP")
                + " && (iptables -C FORWARD -p udp -j DROP 2>/dev/null || iptables -A FORWARD -p udp -j DROP)");
        try (GatewayProcess gw = gateway("[" + link(1, "primary", "") + ", " + link(2, "backup", "") + "]")) {
            tb.exec(tb.dst(), "(timeout 60 iperf3 -s -1 -B " + tb.get("DST_IP") + " -p 5210 >/dev/null 2>&1 &)");
            Thread.sleep(500);
            long[] tx0 = counters("tx_bytes");
            String out = tb.exec(tb.client(), "timeout 40 iperf3 -u -c " + tb.get("DST_IP") + " -p 5210 -b 8M -l 1200"
                    + " -t 8 -f m");
            long[] tx1 = counters("tx_bytes");
            double carried = Metrics.scrape(tb, tb.gw(), METRICS).sum("mpgw_gateway_udp_datagrams_total",
                    "direction=\"up\"");
            System.out.printf("udp stream, iperf3 -u 8 Mbit/s for 8 s, wan1 primary + wan2 backup: %.0f datagrams"
                    + " carried, wan2 share %.2f %% of %d bytes sent%n", carried, 100 * share(tx0, tx1, 2),
                    (tx1[0] - tx0[0]) + (tx1[1] - tx0[1]));
            assertTrue(carried > 0.9 * 8 * 8e6 / 8 / 1200, "the gateway carried " + carried + " datagrams:\n" + out);
            assertTrue(share(tx0, tx1, 2) <= 0.02, "wan2 carried " + share(tx0, tx1, 2) + ":\n" + out);
        }
    }
}
