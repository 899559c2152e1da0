package mpgw.gateway.udp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Issue 21: what a DNS lookup through the gateway costs on links with a round trip, against plain routing on the
 * same testbed (2 x 20 Mbit/s, 10 ms one way each, real MPTCP between the routers). Each lookup comes from a new
 * client socket, as resolvers send them, so each is a new stream session. Plain routing is measured on the same
 * testbed with the gateway's UDP interception bypassed ({@link #plain}). Each test first sends one round of
 * lookups through the gateway, uncounted: the gateway and server run in this fresh JVM, whose first sessions run
 * uncompiled code (several ms each), unlike a gateway that has been running.
 */
class UdpSessionStartTest {
    private static final int DELAY_MILLIS = 10;
    private static final int LOOKUPS = 20;
    private static final int BURST = 50;
    /** Below this ratio to plain routing's median a lookup took no round trip of its own (one more is 2x). */
    private static final double ONE_ROUND_TRIP = 1.6;

    /**
     * Without a pool: MPTCP connect, then greeting, FWD UDP request and the query in one write: two round trips
     * where plain routing takes one (three before issue 21, 3.3x plain). Asserted: below 2.75x, i.e. fewer than
     * three round trips. The target of 2.2x is not met on this machine: 2.41x measured (50.4 ms against
     * 21.0 ms), the rest being ~9 ms of processing in the gateway and the in-JVM server on 2 shared cores.
     */
    @Test
    void withoutPoolALookupTakesTwoRoundTripsNotThree() throws Exception {
        try (UdpGatewayFixture f = UdpGatewayFixture.startDelayed("", DELAY_MILLIS, false)) {
            lookups(f); // warm-up: a running gateway's code is compiled, a fresh JVM's is not
            long[] plain = plain(f, () -> lookups(f));
            long[] mpgw = lookups(f);
            double ratio = (double) median(mpgw) / median(plain);
            System.out.printf("udp session start, no pool, %d ms one way: %d lookups, median %.1f ms (plain %.1f ms,"
                            + " %.2fx), max %.1f ms (plain %.1f ms)%n", DELAY_MILLIS, LOOKUPS, median(mpgw) / 1e6,
                    median(plain) / 1e6, ratio, max(mpgw) / 1e6, max(plain) / 1e6);
            assertAllAnswered(plain, "plain");
            assertAllAnswered(mpgw, "mpgw");
            assertTrue(ratio < 2.75, "median lookup " + ratio + "x plain routing's: " + Arrays.toString(mpgw));
        }
    }

    /**
     * With the UDP pool: the request and the query leave in one write on a connection that is already greeted and
     * joined: one round trip, like plain routing. Asserted: below {@link #ONE_ROUND_TRIP} times plain routing's median,
     * i.e. no round trip of its own (a second one would make it 2x at 10 ms one way). The figure (<= 1.25x) is
     * the bench's ({@code bin/mpgw bench --only udp-start}, docs/BENCHMARKS.md): 1.14-1.28x here on a quiet machine,
     * 1.48x with four builds running on the 2 cores, which is why a timed test does not assert it.
     */
    @Test
    void withPoolALookupCostsOneRoundTrip() throws Exception {
        pooledLookups(false);
    }

    /** The same with TLS between the routers: pooled members are past their TLS handshake too. */
    @Test
    void withPoolAndTlsALookupCostsOneRoundTrip() throws Exception {
        pooledLookups(true);
    }

    private static void pooledLookups(boolean tls) throws Exception {
        try (UdpGatewayFixture f = UdpGatewayFixture.startDelayed("pool-size = 8", DELAY_MILLIS, tls)) {
            lookups(f); // warm-up, as above
            awaitPoolReady(f, 8);
            long[] plain = plain(f, () -> lookups(f));
            double hitsBefore = f.counter("mpgw.gateway.pool.takes", "result", "hit");
            long[] mpgw = lookups(f);
            double hits = f.counter("mpgw.gateway.pool.takes", "result", "hit") - hitsBefore;
            double ratio = (double) median(mpgw) / median(plain);
            System.out.printf("udp session start, pool-size 8%s, %d ms one way: %d lookups, median %.1f ms (plain %.1f"
                            + " ms, %.2fx), max %.1f ms (plain %.1f ms), %.0f pool hits, %s%n", tls ? ", tls" : "",
                    DELAY_MILLIS, LOOKUPS,
                    median(mpgw) / 1e6, median(plain) / 1e6, ratio, max(mpgw) / 1e6, max(plain) / 1e6, hits,
                    f.poolReport());
            assertAllAnswered(plain, "plain");
            assertAllAnswered(mpgw, "mpgw");
            assertEquals(LOOKUPS, hits, "every lookup's session took a warm member; " + f.poolReport());
            assertTrue(joinedSubflows(f) > 0, "the pool's members are MPTCP with a joined second subflow");
            assertTrue(ratio < ONE_ROUND_TRIP, "median lookup " + ratio + "x plain routing's: "
                    + Arrays.toString(mpgw));
        }
    }

    /**
     * A burst of 50 lookups at once (a page load) with a pool larger than the burst: every session takes a warm
     * member (none waits for a connect of its own) and every lookup is answered. The timing target (p95 <= 2x
     * plain routing's) is the bench's ({@code bin/mpgw bench --only udp-start}, daemons in their own JVMs after 15
     * warm-up bursts: 1.81x and 2.12x in two runs at a8c3646 and 9e79627, docs/BENCHMARKS.md). Here the gateway and
     * the server share this fresh test JVM with its paranoid leak detector and its JIT still compiling (half the
     * CPU of the first bursts goes to the compiler threads): 2.8-3.9x measured, so a timed assertion would measure
     * the test JVM.
     */
    @Test
    void burstOfFiftyLookupsAllTakeWarmMembersAndAreAnswered() throws Exception {
        try (UdpGatewayFixture f = UdpGatewayFixture.startDelayed("pool-size = 64", DELAY_MILLIS, false)) {
            awaitPoolReady(f, 64);
            burst(f); // warm-up: a running gateway's code is compiled, a fresh JVM's is not
            awaitPoolReady(f, 64);
            long[] plainBurst = plain(f, () -> burst(f));
            double hitsBefore = f.counter("mpgw.gateway.pool.takes", "result", "hit");
            long[] mpgwBurst = burst(f);
            double hits = f.counter("mpgw.gateway.pool.takes", "result", "hit") - hitsBefore;
            System.out.printf("udp session start, pool-size 64, burst of %d: p50 %.1f ms, p95 %.1f ms (plain %.1f /"
                            + " %.1f ms, %.2fx), %.0f pool hits%n", BURST, median(mpgwBurst) / 1e6,
                    p95(mpgwBurst) / 1e6, median(plainBurst) / 1e6, p95(plainBurst) / 1e6,
                    (double) p95(mpgwBurst) / p95(plainBurst), hits);
            assertAllAnswered(plainBurst, "plain burst");
            assertAllAnswered(mpgwBurst, "mpgw burst");
            assertEquals(BURST, hits, "every session of the burst took a warm member; " + f.poolReport());
        }
    }

    /** Client ports, each used once in this JVM: below the ephemeral range (32768-60999), so no socket has it. */
    private static final AtomicInteger NEXT_PORT = new AtomicInteger(20000);

    /**
     * A client port no earlier lookup used. With ephemeral ports a new socket could get the port of a lookup a few
     * seconds before, whose gateway session (same addresses and ports) lives for {@code udp-one-shot-idle}: the query
     * then rides that session and takes no pool member, so a count of pool hits came out one short now and then
     * (19 of 20 in stop 25's CI, 49 of 50 in a burst: a pool hit not missing, a session not new).
     */
    static int freshPort() {
        return NEXT_PORT.getAndIncrement();
    }

    /** One query per new client socket, one after the other, 100 ms apart (the pool refills between them). */
    static long[] lookups(UdpGatewayFixture f) throws Exception {
        InetSocketAddress dns = new InetSocketAddress(f.bed.get("DST_IP"), 53);
        return f.bed.call("client", () -> {
            long[] r = new long[LOOKUPS];
            for (int i = 0; i < r.length; i++) {
                try (DatagramSocket s = new DatagramSocket(freshPort())) {
                    s.setSoTimeout(3000);
                    r[i] = DnsQuery.ask(s, dns, 1000 + i, "s" + i + "." + UdpGatewayFixture.DNS_NAME);
                }
                Thread.sleep(100); // a user's pace, bounded by the count
            }
            return r;
        });
    }

    /** {@link #BURST} queries from as many new sockets at once; each time from its own send. */
    static long[] burst(UdpGatewayFixture f) throws Exception {
        InetSocketAddress dns = new InetSocketAddress(f.bed.get("DST_IP"), 53);
        return f.bed.call("client", () -> {
            List<DatagramSocket> sockets = new ArrayList<>();
            ExecutorService pool = Executors.newFixedThreadPool(BURST);
            try {
                for (int i = 0; i < BURST; i++) {
                    DatagramSocket s = new DatagramSocket(freshPort()); // made here: in the client namespace
                    s.setSoTimeout(3000);
                    sockets.add(s);
                }
                CountDownLatch go = new CountDownLatch(1);
                List<Future<Long>> answers = new ArrayList<>();
                for (int i = 0; i < BURST; i++) {
                    DatagramSocket s = sockets.get(i);
                    int id = 2000 + i;
                    answers.add(pool.submit(() -> {
                        go.await();
                        return DnsQuery.ask(s, dns, id, "b" + id + "." + UdpGatewayFixture.DNS_NAME);
                    }));
                }
                go.countDown();
                long[] r = new long[BURST];
                for (int i = 0; i < BURST; i++) {
                    r[i] = answers.get(i).get();
                }
                return r;
            } finally {
                pool.shutdownNow();
                sockets.forEach(DatagramSocket::close);
            }
        });
    }

    interface Measurement {
        long[] run() throws Exception;
    }

    /**
     * Runs {@code m} with the gateway's UDP interception bypassed: an ACCEPT ahead of mpgw-rules' TPROXY rule and
     * the fixture's FORWARD drop lifted, so the queries are routed (gw -> links -> srv -> dst) as without mpgw.
     */
    static long[] plain(UdpGatewayFixture f, Measurement m) throws Exception {
        f.bed.exec("gw", "iptables -t mangle -I PREROUTING 1 -p udp -j ACCEPT && iptables -D FORWARD -p udp -j DROP");
        try {
            return m.run();
        } finally {
            f.bed.exec("gw", "iptables -A FORWARD -p udp -j DROP && iptables -t mangle -D PREROUTING -p udp -j ACCEPT");
        }
    }

    static void awaitPoolReady(UdpGatewayFixture f, int members) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (f.gauge("mpgw.gateway.pool.ready") < members && System.nanoTime() < deadline) {
            Thread.sleep(50); // bounded by the deadline
        }
    }

    /** MP_JOINs the gateway's namespace completed (router A opens the extra subflows). */
    static long joinedSubflows(UdpGatewayFixture f) throws Exception {
        String out = f.bed.exec("gw", "nstat -az MPTcpExtMPJoinSynAckRx | awk '/MPJoinSynAckRx/ {print $2}'");
        return Long.parseLong(out.trim());
    }

    static void assertAllAnswered(long[] nanos, String what) {
        assertTrue(Arrays.stream(nanos).allMatch(n -> n > 0), what + ": every query answered: "
                + Arrays.toString(nanos));
    }

    static long median(long[] v) {
        long[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }

    static long p95(long[] v) {
        long[] s = v.clone();
        Arrays.sort(s);
        return s[(int) Math.ceil(s.length * 0.95) - 1];
    }

    static long max(long[] v) {
        return Arrays.stream(v).max().orElse(0);
    }
}
