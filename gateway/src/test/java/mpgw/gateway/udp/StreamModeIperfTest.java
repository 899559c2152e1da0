package mpgw.gateway.udp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import mpgw.testing.Sh;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * iperf3 -u at a fixed rate through the gateway in stream mode (two 20 Mbit/s links): loss and throughput are
 * printed, and taking link 1 down mid-test does not end the session (the MPTCP stream moves to link 2).
 */
class StreamModeIperfTest {
    private static final String RATE = "8M";
    private static UdpGatewayFixture f;

    @BeforeAll
    static void setUp() throws Exception {
        // -Dmpgw.udp.stream-write-buffer=1MiB measures another queue size (docs/udp.md has the numbers).
        String buffer = System.getProperty("mpgw.udp.stream-write-buffer");
        f = UdpGatewayFixture.start("stream", buffer == null ? "" : "stream-write-buffer = " + buffer);
        f.startIperfServer("--forceflush");
    }

    @AfterAll
    static void tearDown() {
        if (f != null) {
            f.close();
        }
    }

    @Test
    void steadyRateThenLinkOneGoesDownMidTestAndTheSessionCarriesOn() throws Exception {
        Result steady = iperf(4);
        System.out.printf("udp stream iperf3 -u -b %s, 4 s: %.2f Mbit/s received, loss %.2f%%%n", RATE,
                steady.mbps, steady.lossPercent);
        assertTrue(steady.lossPercent < 5, "steady loss " + steady.lossPercent);

        double sessionsBefore = f.counter("mpgw.gateway.udp.sessions");
        CompletableFuture<Result> run = CompletableFuture.supplyAsync(() -> {
            try {
                return iperf(8);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        // Mid-test: once the gateway carried 2 s of the run (8 Mbit/s of 1200-byte datagrams: 833 a second).
        double upBefore = f.counter("mpgw.gateway.udp.datagrams", "direction", "up");
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(15);
        while (f.counter("mpgw.gateway.udp.datagrams", "direction", "up") < upBefore + 2 * 833
                && System.nanoTime() < deadline && !run.isDone()) {
            Thread.sleep(20); // poll interval, bounded by the deadline
        }
        assertTrue(!run.isDone() && f.counter("mpgw.gateway.udp.datagrams", "direction", "up") >= upBefore + 2 * 833,
                "iperf3 never got 2 s into its run: " + f.logs());
        f.bed.link("down", 1);
        try {
            Result failover = run.get();
            System.out.printf("udp stream iperf3 -u -b %s, 8 s, link 1 down 2 s into it, stream-write-buffer %s:"
                    + " %.2f Mbit/s received, loss %.2f%%, drops(backpressure) %.0f%n", RATE,
                    System.getProperty("mpgw.udp.stream-write-buffer", "default"), failover.mbps,
                    failover.lossPercent, f.drops(UdpDrop.BACKPRESSURE));
            assertEquals(sessionsBefore + 1, f.counter("mpgw.gateway.udp.sessions"),
                    "one session for iperf's socket, not a new one after the link loss");
            assertTrue(failover.lossPercent < 50, "most datagrams arrive: loss " + failover.lossPercent);
            assertTrue(failover.mbps > 4, "the rate holds after the failover: " + failover.mbps);
        } finally {
            f.bed.link("up", 1);
        }
    }

    private record Result(double mbps, double lossPercent) {
    }

    private static Result iperf(int seconds) throws Exception {
        Sh.Result r = f.bed.run("client", "timeout " + (seconds + 20) + " iperf3 -u -c " + f.bed.get("DST_IP")
                + " -b " + RATE + " -l 1200 -t " + seconds + " -f m");
        assertEquals(0, r.exitCode(), r.output() + f.logs() + f.bed.run("gw", "ss -tniM").output()
                + f.bed.run("gw", "ip mptcp endpoint; ip mptcp limits; nstat -az | grep -i mptcp").output());
        // The receiver's summary line: "... sec  X MBytes  Y Mbits/sec  J ms  lost/total (P%)  receiver"
        Matcher m = Pattern.compile("([\\d.]+) Mbits/sec\\s+[\\d.]+ ms\\s+\\d+/\\d+ \\(([\\d.e+-]+)%\\)\\s+receiver")
                .matcher(r.output());
        assertTrue(m.find(), r.output());
        return new Result(Double.parseDouble(m.group(1)), Double.parseDouble(m.group(2)));
    }
}
