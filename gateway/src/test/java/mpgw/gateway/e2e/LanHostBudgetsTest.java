package mpgw.gateway.e2e;

import static mpgw.gateway.e2e.LanHostLoad.HOST_B;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import mpgw.testbed.EchoService;
import mpgw.testbed.EchoTransfer;
import mpgw.testbed.GatewayProcess;
import mpgw.testbed.Metrics;
import mpgw.testbed.SourceService;
import mpgw.testbed.Teardown;
import mpgw.testbed.Testbed;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 20: one LAN host cannot exhaust the gateway or starve the others. Two LAN hosts in the client namespace
 * (A = {@code CLIENT_IP}, the flooder; B = a second address on the same LAN), the gateway as its own process on
 * gw with mpgw-rules' REDIRECT and TPROXY rules and the default budgets ({@code gateway.limits}), mpgw's
 * socks-server on srv, dnsmasq, a source and a sink on dst, two 20 Mbit/s links. Every load is bounded in count
 * and time and goes only into the testbed.
 */
class LanHostBudgetsTest {
    private static final int SOURCE_PORT = 7001;
    private static final int ECHO_PORT = 7000;
    private static final int HOLD_PORT = 7100;
    /** The testbed's links, 2 x 20 Mbit/s, as the operator gives them to the share. */
    private static final long LINKS_BYTES_PER_SECOND = 5_000_000;

    @TempDir
    static Path work;
    private static Testbed tb;
    private static final Teardown services = new Teardown();
    private static GatewayProcess gw;
    private static LanHostLoad lan;

    @BeforeAll
    static void testbed() throws Exception {
        tb = Testbed.up("mpgwbud-", "--links", "2", "--rate", "20mbit");
        services.add(tb);
        services.add(SourceService.start(tb, tb.dst(), new InetSocketAddress(tb.get("DST_IP"), SOURCE_PORT),
                1L << 30));
        services.add(EchoService.start(tb, tb.dst(), new InetSocketAddress(tb.get("DST_IP"), ECHO_PORT)));
        services.add(Holder.start(tb, new InetSocketAddress(tb.get("DST_IP"), HOLD_PORT)));
        lan = LanHostLoad.start(tb, services, work, """
                # The testbed's links (2 x 20 Mbit/s), as the operator gives them to the share.
                limits.link-bytes-per-second = %d
                """.formatted(LINKS_BYTES_PER_SECOND));
        gw = lan.gateway();
    }

    @AfterAll
    static void teardown() {
        services.close();
    }

    @Test
    void aUdpFloodFromOneHostStaysInItsBudgetWhileAnotherHostIsServed() throws Exception {
        // Idle figure: after a little of everything, so the JIT and the pools have started.
        lan.warmUp();
        download(HOST_B, 2_000);
        Thread.sleep(2_000);
        long idle = lan.rssKiB();

        LanHostLoad.RssSampler rss = lan.sampleRss();
        LanHostLoad.Flood flood = lan.flood(2_000);
        CompletableFuture<Long> flooding = CompletableFuture.supplyAsync(flood::run);
        try {
            Thread.sleep(2_000); // the flood has filled what it can
            long linksBefore = lan.linksTxBytes();
            long linksStart = System.nanoTime();
            CompletableFuture<double[]> downloading = CompletableFuture.supplyAsync(() -> download(HOST_B, 10_000));
            List<Long> answers = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                answers.add(lan.dns(HOST_B, 3000));
                Thread.sleep(300); // spread over the download's 10 s
            }
            double[] down = downloading.get(30, TimeUnit.SECONDS);
            // What the links carried towards router B meanwhile (the flooder's share and B's requests and ACKs).
            double linksUp = (lan.linksTxBytes() - linksBefore) * 8 / 1000.0
                    / TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - linksStart);
            assertTrue(!flooding.isDone(), "the flood was still on during the download and the queries");
            long sent = flood.end(15_000, flooding);
            long floodEnd = System.nanoTime();
            // Served again within 2 s: a query from the flooder's new port and one from B.
            long recoveredMillis = -1;
            while (System.nanoTime() - floodEnd < TimeUnit.SECONDS.toNanos(2)) {
                if (lan.dns(tb.get("CLIENT_IP"), 300) >= 0 && lan.dns(HOST_B, 300) >= 0) {
                    recoveredMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - floodEnd);
                    break;
                }
            }
            rss.stop();
            Metrics m = Metrics.scrape(tb, tb.gw(), LanHostLoad.METRICS);
            double mbit = down[0] * 8 / 1000.0 / down[1];
            System.out.printf("flood: %d datagrams of %d bytes from %d ports offered in %d ms (%.0f Mbit/s)%n",
                    sent, LanHostLoad.FLOOD_SIZE, flood.ports, flood.millis, sent * LanHostLoad.FLOOD_SIZE * 8 / 1000.0 / flood.millis);
            System.out.printf("gateway RSS: idle %d MiB, peak %d MiB during and after the flood (+%d MiB)%n",
                    idle / 1024, rss.peak.get() / 1024, (rss.peak.get() - idle) / 1024);
            System.out.printf("host B during the flood: download %.1f Mbit/s (%.0f %% of 40), DNS answers ms %s%n",
                    mbit, mbit / 40 * 100, answers.stream().map(n -> n < 0 ? "lost" : String.valueOf(n / 1_000_000))
                            .toList());
            System.out.printf("the links towards router B meanwhile: %.1f Mbit/s (%.0f %% of 40)%n", linksUp,
                    linksUp / 40 * 100);
            System.out.println("drops: " + m.series().entrySet().stream()
                    .filter(e -> e.getKey().startsWith("mpgw_gateway_udp_drops_total") && e.getValue() > 0).toList()
                    + ", served again " + recoveredMillis + " ms after the flood");

            assertTrue(rss.peak.get() - idle <= 64 * 1024, "RSS grew by " + (rss.peak.get() - idle) / 1024 + " MiB");
            // 2,000 ports rotating: 512 get sessions, the rest is dropped as client_sessions, and what the
            // sessions get (about a quarter, 40 Mbit/s) the links nearly carry; the byte budget is the next test's.
            assertTrue(m.sum("mpgw_gateway_udp_drops_total", "reason=\"client_sessions\"") > 0, m.toString());
            // The flooder's 512 and B's: each of its queries is a session of its own for udp-one-shot-idle (10 s).
            assertTrue(m.sum("mpgw_gateway_udp_sessions_active") <= 512 + 60, "the flooder's 512 and B's: " + m);
            assertTrue(mbit >= 0.4 * 40, "B's download got " + mbit + " Mbit/s");
            // The bound: all 20 answered within 1 s each (assertDnsServed allows 1 in 10 over it).
            assertTrue(answers.stream().allMatch(n -> n >= 0 && n <= TimeUnit.SECONDS.toNanos(1)),
                    "B's queries, ms (-1: lost): " + answers.stream().map(n -> n < 0 ? -1 : n / 1_000_000).toList());
            assertTrue(recoveredMillis >= 0, "not served within 2 s of the flood's end");
            // The flooder's excess over its share of the links (half of them while B downloads) is dropped.
            assertTrue(m.sum("mpgw_gateway_udp_drops_total", "reason=\"link_share\"") > 0, m.toString());
            List<String> lines = gw.daemon().linesContaining("udp from " + tb.get("CLIENT_IP") + ": datagram dropped");
            assertTrue(!lines.isEmpty() && lines.size() <= 3, "one line per 10 s for the flooder: " + lines);
            assertTrue(gw.daemon().linesContaining("udp from " + HOST_B).isEmpty(), "B hit no limit");
        } finally {
            flood.stop = true;
            rss.stop();
        }
    }

    @Test
    void oneHostOpeningTenThousandFlowsHitsItsCapWhileAnotherHostIsServed() throws Exception {
        long limit = maxOpenFiles();
        List<Socket> sockets = new ArrayList<>();
        try {
            long start = System.nanoTime();
            int refused = tb.call(tb.client(), () -> {
                int n = 0;
                for (int i = 0; i < 10_000 && System.nanoTime() - start < TimeUnit.SECONDS.toNanos(60); i++) {
                    Socket s = new Socket();
                    sockets.add(s);
                    s.bind(new InetSocketAddress(tb.get("CLIENT_IP"), 0));
                    try {
                        s.connect(new InetSocketAddress(tb.get("DST_IP"), HOLD_PORT), 3_000);
                    } catch (IOException e) {
                        n++; // the accept queue was full: the kernel refused it before the gateway saw it
                    }
                }
                return n;
            });
            long connectMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertEquals(10_000, sockets.size(), "10,000 connects within 60 s");
            long fds = fds();
            EchoTransfer.Result b = echoFrom(HOST_B);
            int reset = 0;
            int open = 0;
            for (Socket s : sockets) {
                if (!s.isConnected()) {
                    continue;
                }
                s.setSoTimeout(1);
                try {
                    s.getInputStream().read();
                    reset++; // EOF: not what the gateway does to a flow over the cap
                } catch (SocketTimeoutException e) {
                    open++;
                } catch (SocketException e) {
                    reset++;
                }
            }
            Metrics m = Metrics.scrape(tb, tb.gw(), LanHostLoad.METRICS);
            double limited = m.sum("mpgw_gateway_flows_total", "outcome=\"limit\"");
            long cpuBefore = lan.cpuTicks();
            Thread.sleep(3_000);
            long cpuTicks = lan.cpuTicks() - cpuBefore;
            System.out.printf("10,000 connects from one host in %d ms: %d held, %d reset, %d refused by the kernel;"
                    + " outcome=limit %.0f; gateway descriptors %d of %d; host B's echo %s; gateway CPU %d ticks"
                    + " in 3 s after%n", connectMillis, open, reset, refused, limited, fds, limit, b, cpuTicks);

            assertEquals(2048, open, "max-flows-per-client = 2048 flows held");
            assertTrue(reset >= 10_000 - 2048 - refused - 10, "the rest were reset: " + reset);
            assertTrue(limited >= reset, "counted as outcome=limit: " + limited);
            assertTrue(b.intact(), "host B is still served: " + b);
            assertTrue(fds < limit / 2, "descriptors " + fds + " of " + limit);
            assertTrue(cpuTicks < 100, "the gateway spins: " + cpuTicks + " ticks in 3 s");
            List<String> lines = gw.daemon().linesContaining("flow from " + tb.get("CLIENT_IP"));
            assertTrue(!lines.isEmpty() && lines.size() <= 8, "one line per 10 s: " + lines.size());
        } finally {
            for (Socket s : sockets) {
                s.close();
            }
        }
    }

    /** Reads from dst's source for {@code millis} from {@code host}; returns {bytes, millis}. */
    private static double[] download(String host, long millis) {
        try (Socket s = connectFrom(host, SOURCE_PORT)) {
            s.setSoTimeout(1_000);
            InputStream in = s.getInputStream();
            byte[] buf = new byte[64 * 1024];
            long count = 0;
            long start = System.nanoTime();
            long end = start + TimeUnit.MILLISECONDS.toNanos(millis);
            while (System.nanoTime() < end) {
                int n = in.read(buf);
                if (n < 0) {
                    break;
                }
                count += n;
            }
            return new double[] {count, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)};
        } catch (Exception e) {
            throw new IllegalStateException("download from " + host, e);
        }
    }

    private static EchoTransfer.Result echoFrom(String host) throws Exception {
        try (Socket s = connectFrom(host, ECHO_PORT)) {
            s.setSoTimeout(10_000);
            return EchoTransfer.over(s, 256 * 1024, 20);
        }
    }

    /** A connection from {@code host} to dst; made inside the client namespace (a Socket's fd appears at bind). */
    private static Socket connectFrom(String host, int port) throws Exception {
        return tb.call(tb.client(), () -> {
            Socket s = new Socket();
            try {
                s.bind(new InetSocketAddress(host, 0));
                s.connect(new InetSocketAddress(tb.get("DST_IP"), port), 5_000);
                return s;
            } catch (IOException e) {
                s.close();
                throw e;
            }
        });
    }

    private static long fds() throws IOException {
        try (var list = Files.list(Path.of("/proc/" + lan.gatewayPid() + "/fd"))) {
            return list.count();
        }
    }

    private static long maxOpenFiles() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + lan.gatewayPid() + "/limits"))) {
            if (line.startsWith("Max open files")) {
                return Long.parseLong(line.split("\\s+")[3]);
            }
        }
        throw new IOException("no open files limit for " + lan.gatewayPid());
    }

    /** Accepts on dst and holds every connection open until closed, like a server with slow clients. */
    private static final class Holder implements AutoCloseable {
        private final ServerSocket listener;
        private final List<Socket> held = new CopyOnWriteArrayList<>();

        private Holder(ServerSocket listener) {
            this.listener = listener;
            Thread t = new Thread(this::accept, "holder");
            t.setDaemon(true);
            t.start();
        }

        static Holder start(Testbed tb, InetSocketAddress bind) throws Exception {
            return new Holder(tb.call(tb.dst(), () -> {
                ServerSocket s = new ServerSocket();
                s.bind(bind, 4096);
                return s;
            }));
        }

        private void accept() {
            try {
                while (true) {
                    held.add(listener.accept());
                }
            } catch (IOException e) {
                // closed
            }
        }

        @Override
        public void close() throws IOException {
            listener.close();
            for (Socket s : held) {
                s.close();
            }
        }
    }
}
