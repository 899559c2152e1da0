package mpgw.gateway.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.TreeSet;
import mpgw.testbed.Daemon;
import mpgw.testbed.DanteServer;
import mpgw.testbed.EchoService;
import mpgw.testbed.EchoTransfer;
import mpgw.testbed.GatewayProcess;
import mpgw.testbed.Metrics;
import mpgw.testbed.PooledFlowCapture;
import mpgw.testbed.SocksServerProcess;
import mpgw.testbed.SourceService;
import mpgw.testbed.SourceTree;
import mpgw.testbed.Teardown;
import mpgw.testbed.Testbed;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The warm upstream pool end to end (testbed, two 20 Mbit/s links, real MPTCP): members are greeted and have both
 * subflows before use, a pooled flow reaches the destination without router A ever waiting for router B (counted
 * from captures with bench/benchtool.py, as bin/bench.sh does), dead members are never the flow's loss, and
 * members are replaced before the server's handshake timeout closes them.
 */
class UpstreamPoolTest {
    private static final String METRICS = "127.0.0.1:9464";
    private static final int ECHO_PORT = 7000;
    private static final int SOURCE_PORT = 7001;
    private static final int MPGW_PORT = 1090;
    private static final int SHORT_TIMEOUT_PORT = 1091;
    private static final int DANTE_PORT = 1080;
    private static final long MEGABYTE = 1 << 20;

    @TempDir
    static Path work;
    private static Testbed tb;
    private static final Teardown services = new Teardown();
    private static InetSocketAddress echo;

    @BeforeAll
    static void testbed() throws Exception {
        // 5 ms each way: router B's answers take at least 10 ms, so "the client's bytes left before anything came
        // back" cannot be decided by how the machine happens to schedule the gateway's event loop.
        tb = Testbed.up("mpgwzr", "--links", "2", "--rate", "20mbit", "--delay", "5");
        services.add(tb);
        tb.exec(tb.gw(), "bash " + SourceTree.script("iptables/mpgw-rules") + " install --no-udp --lan "
                + tb.get("LAN_CIDR"));
        services.add(SocksServerProcess.start(tb.srv(), server(MPGW_PORT, "10s"), work));
        services.add(SocksServerProcess.start(tb.srv(), server(SHORT_TIMEOUT_PORT, "2s"), work));
        services.add(DanteServer.start(tb.srv(), DANTE_PORT, "out0", null, work.resolve("dante")));
        services.add(EchoService.start(tb, tb.dst(), new InetSocketAddress("0.0.0.0", ECHO_PORT)));
        services.add(SourceService.start(tb, tb.dst(), new InetSocketAddress("0.0.0.0", SOURCE_PORT), MEGABYTE));
        echo = new InetSocketAddress(tb.get("DST_IP"), ECHO_PORT);
    }

    @AfterAll
    static void teardown() {
        services.close();
    }

    private static String server(int port, String handshakeTimeout) {
        return """
                server {
                  listen = ["0.0.0.0:%d"]
                  mptcp = required
                  timeouts.handshake = %s
                  metrics.listen = ""
                  shutdown-grace = 1s
                }
                """.formatted(port, handshakeTimeout);
    }

    private static GatewayProcess gateway(int port, String pool) throws Exception {
        return GatewayProcess.start(tb.gw(), """
                gateway {
                  servers = ["%s:%d"]
                  metrics.listen = "%s"
                  upstream.pool { %s }
                }
                """.formatted(tb.list("SRV_IPS").get(0), port, METRICS, pool), work);
    }

    /** Waits until the gateway reports {@code n} ready members. */
    private static Metrics awaitReady(int n) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        Metrics m = Metrics.scrape(tb, tb.gw(), METRICS);
        while (m.sum("mpgw_gateway_pool_ready") < n && System.nanoTime() < deadline) {
            Thread.sleep(100);
            m = Metrics.scrape(tb, tb.gw(), METRICS);
        }
        assertTrue(m.sum("mpgw_gateway_pool_ready") >= n, "pool never had " + n + " ready members: " + m);
        return m;
    }

    /** Established TCP subflows from the gw namespace to the server port, by local port. */
    private static TreeSet<Integer> subflowPorts(int serverPort) throws Exception {
        TreeSet<Integer> ports = new TreeSet<>();
        for (String line : tb.exec(tb.gw(), "ss -tnH state established '( dport = :" + serverPort + " )'")
                .split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length >= 4) {
                String local = f[2];
                ports.add(Integer.parseInt(local.substring(local.lastIndexOf(':') + 1)));
            }
        }
        return ports;
    }

    @Test
    void readyMembersHaveBothSubflowsAndAPooledFlowNeverWaitsForRouterB() throws Exception {
        try (GatewayProcess gw = gateway(MPGW_PORT, "size = 4")) {
            awaitReady(4);
            assertTrue(subflowPorts(MPGW_PORT).size() >= 8, "4 members x 2 subflows: " + subflowPorts(MPGW_PORT));
            // A first flow loads the gateway's classes (a cold JVM takes milliseconds per new path); the second
            // one, on a refilled pool, is the one measured.
            assertTrue(EchoTransfer.run(tb, tb.client(), echo, 64 << 10, 2).intact());
            gw.awaitLine("outcome=relayed"); // the flow took its member: the pool refills from 3
            awaitReady(4);

            List<String> wan;
            try (Daemon capWan = Daemon.startIn(tb.gw(), "tcpdump-gw", List.of("tcpdump", "-i", "any", "-tt", "-n",
                    "-l", "-U", "tcp port " + MPGW_PORT + " or tcp port " + ECHO_PORT))) {
                capWan.awaitLine("listening on", Duration.ofSeconds(10));
                EchoTransfer.Result r = EchoTransfer.run(tb, tb.client(), echo, 64 << 10, 1);
                assertTrue(r.intact(), r.toString());
                // The echo's FIN to the client is the flow's last packet the analysis needs before it: once
                // tcpdump printed it (-l -U, in order), every earlier packet is in the capture too.
                capWan.awaitLine(l -> l.contains("." + ECHO_PORT + " >") && l.contains("Flags [F"),
                        "the echo's FIN", Duration.ofSeconds(10));
                wan = capWan.lines();
            }
            // 0 round trips: once the client's first bytes reached router A, they left towards router B before
            // anything came back from B (pool refills open connections of their own meanwhile: not counted).
            long sentBeforeAnswer = PooledFlowCapture.sentBeforeAnswer(wan, ECHO_PORT);
            System.out.println("pooled flow: " + sentBeforeAnswer + " client bytes left router A before anything"
                    + " came back from router B after the client's first bytes arrived");
            assertTrue(sentBeforeAnswer > 0, "router A waited for router B before sending client bytes: " + wan);
            gw.daemon().awaitLines("outcome=relayed", 2, Duration.ofSeconds(10));
            Metrics m = Metrics.scrape(tb, tb.gw(), METRICS);
            assertEquals(2, m.sum("mpgw_gateway_pool_takes_total", "result=\"hit\""), m.toString());
        }
    }

    /** Reported, and asserted only loosely: the share of a fresh flow's 1 MB download carried by link 2. */
    @Test
    void aPooledFlowSpreadsOverBothLinksFromItsFirstByte() throws Exception {
        double pooled;
        double fresh;
        try (GatewayProcess gw = gateway(MPGW_PORT, "size = 4")) {
            awaitReady(4);
            pooled = link2ShareOfDownload();
        }
        try (GatewayProcess gw = gateway(MPGW_PORT, "size = 0")) {
            fresh = link2ShareOfDownload();
        }
        System.out.printf("share of a fresh flow's 1 MB download on link 2: pool %.0f %%, no pool %.0f %%%n",
                pooled * 100, fresh * 100);
        assertTrue(pooled > 0.2, "pooled download used link 2 for only " + pooled);
    }

    private static double link2ShareOfDownload() throws Exception {
        long[] before = {rxBytes(1), rxBytes(2)};
        long[] r = SourceService.download(tb, tb.client(), new InetSocketAddress(tb.get("DST_IP"), SOURCE_PORT));
        assertEquals(MEGABYTE, r[0]);
        long one = rxBytes(1) - before[0];
        long two = rxBytes(2) - before[1];
        return (double) two / (one + two);
    }

    private static long rxBytes(int link) throws Exception {
        return Long.parseLong(tb.exec(tb.gw(), "cat /sys/class/net/wan" + link + "/statistics/rx_bytes").trim());
    }

    /** Every pooled subflow gets a RST at its next packet: the flow retries on a fresh connection, bytes intact. */
    @Test
    void aMemberThatDiesAtItsFirstWriteIsRetriedWithoutLoss() throws Exception {
        try (GatewayProcess gw = gateway(MPGW_PORT, "size = 4")) {
            awaitReady(4);
            TreeSet<Integer> ports = subflowPorts(MPGW_PORT);
            StringBuilder rules = new StringBuilder();
            for (int port : ports) {
                rules.append("iptables -w -I INPUT -p tcp --dport ").append(MPGW_PORT).append(" --sport ")
                        .append(port).append(" -j REJECT --reject-with tcp-reset; ");
            }
            tb.exec(tb.srv(), rules.toString());
            try {
                EchoTransfer.Result r = EchoTransfer.run(tb, tb.client(), echo, 256 << 10, 7);
                assertTrue(r.intact(), r.toString());
                gw.awaitLine("outcome=relayed");
                Metrics m = Metrics.scrape(tb, tb.gw(), METRICS);
                assertEquals(1, m.sum("mpgw_gateway_pool_retries_total"), m.toString());
            } finally {
                tb.exec(tb.srv(), rules.toString().replace("-I INPUT", "-D INPUT"));
            }
        }
    }

    /**
     * Members closed by the server (here: all of them, by a restart) are replaced, never handed out: a dead member
     * handed out would cost the flow a retry ({@code pool_retries_total}), which must stay 0.
     */
    @Test
    void membersTheServerClosedAreReplacedNotHandedOut() throws Exception {
        // Members neither expire nor time out at the server during the test: only their close can drop them.
        try (SocksServerProcess own = SocksServerProcess.start(tb.srv(), server(1092, "60s"), work);
             GatewayProcess gw = gateway(1092, "size = 4, max-idle = 60s")) {
            awaitReady(4);
            own.close(); // closes every member at the end of its 1 s grace, then exits
            // The server takes seconds to start again: the gateway has seen every member close long before.
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            Metrics m = Metrics.scrape(tb, tb.gw(), METRICS);
            while (m.sumOrZeroIfNeverRegistered("mpgw_gateway_pool_replaced_total") < 4
                    && System.nanoTime() < deadline) {
                Thread.sleep(100);
                m = Metrics.scrape(tb, tb.gw(), METRICS);
            }
            assertTrue(m.sumOrZeroIfNeverRegistered("mpgw_gateway_pool_replaced_total") >= 4,
                    "the 4 members the server closed were not all dropped from the pool: " + m);
            assertEquals(0, m.sumOrZeroIfAbsent("mpgw_gateway_pool_replaced_total", "reason=\"expired\""),
                    "dropped for their close, not their age: " + m);
            try (SocksServerProcess again = SocksServerProcess.start(tb.srv(), server(1092, "60s"), work)) {
                EchoTransfer.Result r = EchoTransfer.run(tb, tb.client(), echo, 256 << 10, 3);
                assertTrue(r.intact(), r.toString());
                String flow = gw.awaitLine("outcome=relayed");
                m = Metrics.scrape(tb, tb.gw(), METRICS);
                assertEquals(0, m.sumOrZeroIfNeverRegistered("mpgw_gateway_pool_retries_total"),
                        "a dead member was handed out (the flow had to retry on a fresh connection): " + flow
                                + "\n" + m);
                assertEquals(1, m.sum("mpgw_gateway_pool_takes_total"), "one flow asked the pool: " + m);
            }
        }
    }

    /**
     * Members opened together reach max-idle together: each is renewed ahead (its replacement ready before it
     * leaves), so the pool never empties to rotate them. Before, every member left at the same check and flows
     * in the next ~80 ms (connect, greeting, join) missed: UdpSessionStartTest saw 19 hits of 20 lookups.
     */
    @Test
    void rotatingMembersNeverEmptiesThePool() throws Exception {
        try (GatewayProcess gw = gateway(MPGW_PORT, "size = 2, max-idle = 1s, check-interval = 200ms")) {
            awaitReady(2);
            Thread.sleep(500);
            // size is spread over the event loops, at least one member each: the full figure is the gauge's.
            double full = Metrics.scrape(tb, tb.gw(), METRICS).sum("mpgw_gateway_pool_ready");
            double lowest = Double.MAX_VALUE;
            int samples = 0;
            long end = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (System.nanoTime() < end) {
                lowest = Math.min(lowest, Metrics.scrape(tb, tb.gw(), METRICS).sum("mpgw_gateway_pool_ready"));
                samples++;
            }
            Metrics m = Metrics.scrape(tb, tb.gw(), METRICS);
            double rotated = m.sumOrZeroIfNeverRegistered("mpgw_gateway_pool_replaced_total", "reason=\"expired\"");
            System.out.println("pool of " + full + " members, max-idle 1 s, 5 s: " + rotated + " rotated, lowest ready "
                    + lowest + " in " + samples + " samples");
            assertTrue(full >= 2 && rotated >= 2 * full, "every member rotated at least twice: " + m);
            assertEquals(full, lowest, "ready members while rotating, lowest of " + samples + " samples");
        }
    }

    /** max-idle below the server's 2 s handshake timeout: members are rotated before the server drops them. */
    @Test
    void membersAreReplacedBeforeTheServerTimesThemOut() throws Exception {
        try (GatewayProcess gw = gateway(SHORT_TIMEOUT_PORT, "size = 2, max-idle = 1s, check-interval = 200ms")) {
            awaitReady(2);
            // Three generations of both members (max-idle 1 s each) take at least 3 s: past the server's 2 s
            // handshake timeout for the first ones, had they not been rotated.
            long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
            Metrics rotated = Metrics.scrape(tb, tb.gw(), METRICS);
            while (rotated.sumOrZeroIfNeverRegistered("mpgw_gateway_pool_replaced_total", "reason=\"expired\"") < 6
                    && System.nanoTime() < deadline) {
                Thread.sleep(100);
                rotated = Metrics.scrape(tb, tb.gw(), METRICS);
            }
            assertTrue(rotated.sumOrZeroIfNeverRegistered("mpgw_gateway_pool_replaced_total",
                    "reason=\"expired\"") >= 6, "members were not rotated every second: " + rotated);
            EchoTransfer.Result r = EchoTransfer.run(tb, tb.client(), echo, 64 << 10, 5);
            assertTrue(r.intact(), r.toString());
            gw.awaitLine("outcome=relayed");
            Metrics m = Metrics.scrape(tb, tb.gw(), METRICS);
            assertTrue(m.sum("mpgw_gateway_pool_replaced_total", "reason=\"expired\"") >= 2, m.toString());
            assertEquals(0, m.sumOrZeroIfAbsent("mpgw_gateway_pool_replaced_total", "reason=\"closed\""), m.toString());
        }
    }

    @Test
    void aPooledFlowThroughDante() throws Exception {
        try (GatewayProcess gw = gateway(DANTE_PORT, "size = 4")) {
            awaitReady(4);
            EchoTransfer.Result r = EchoTransfer.run(tb, tb.client(), echo, 1 << 20, 9);
            assertTrue(r.intact(), r.toString());
            gw.awaitLine("outcome=relayed");
            Metrics m = Metrics.scrape(tb, tb.gw(), METRICS);
            assertEquals(1, m.sum("mpgw_gateway_pool_takes_total", "result=\"hit\""), m.toString());
        }
    }

    @Test
    void poolOffKeepsTheOldPath() throws Exception {
        try (GatewayProcess gw = gateway(MPGW_PORT, "size = 0")) {
            EchoTransfer.Result r = EchoTransfer.run(tb, tb.client(), echo, 64 << 10, 11);
            assertTrue(r.intact(), r.toString());
            gw.awaitLine("outcome=relayed");
            Metrics m = Metrics.scrape(tb, tb.gw(), METRICS);
            assertEquals(0, m.sumOrZeroIfNeverRegistered("mpgw_gateway_pool_takes_total"), m.toString());
            assertEquals(0, m.sum("mpgw_gateway_pool_ready"), m.toString());
        }
        assertTrue(subflowPorts(MPGW_PORT).isEmpty(), "no idle connections left: " + subflowPorts(MPGW_PORT));
    }
}
