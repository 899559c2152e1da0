package mpgw.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 16 D1, with real descriptors: the server process limited to 256 descriptors ({@code prlimit}), 400 clients
 * that connect and hold. Out of descriptors, the listener must pause (AcceptBackoff), not spin: little CPU, a few
 * "accept failed" lines, not ~100,000 a second; and it serves again once the clients leave.
 *
 * <p>Loads the machine for a few seconds: run under {@code flock /tmp/mpgw-kernel-tests.lock}.
 */
class DescriptorExhaustionTest {
    private static final int CLIENTS = 400;
    private static final long CLOCK_TICKS = 100; // USER_HZ on Linux

    @TempDir
    Path dir;

    @Test
    void outOfDescriptorsTheServerPausesAcceptingInsteadOfSpinning() throws Exception {
        int port = freePort();
        Path conf = dir.resolve("server.conf");
        Files.writeString(conf, "server {\n listen = [\"127.0.0.1:" + port + "\"]\n mptcp = off\n"
                + " timeouts.handshake = 120s\n " + TestServer.ALLOW_LOOPBACK + "\n}\n");
        Path log = dir.resolve("server.log");
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx128m", "-cp", System.getProperty("java.class.path"), "mpgw.server.ServerMain",
                "--config", conf.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        List<Socket> clients = new ArrayList<>();
        try {
            awaitLine(log, "socks-server up", 20_000);
            Process limit = new ProcessBuilder("prlimit", "--pid", Long.toString(p.pid()), "--nofile=256:256")
                    .inheritIO().start();
            assertEquals(0, limit.waitFor(), "prlimit");
            InetSocketAddress server = new InetSocketAddress("127.0.0.1", port);
            for (int i = 0; i < CLIENTS; i++) {
                Socket s = new Socket();
                s.connect(server, 2000); // completes in the kernel (backlog 1024) whether or not the server accepts
                clients.add(s);
            }
            Thread.sleep(1000); // let it run into the limit
            awaitLine(log, "accept failed", 10_000);
            long linesBefore = count(log, "accept failed");
            long cpuBefore = cpuTicks(p.pid());
            long t0 = System.nanoTime();
            Thread.sleep(3000);
            long cpu = cpuTicks(p.pid()) - cpuBefore;
            double seconds = (System.nanoTime() - t0) / 1e9;
            long lines = count(log, "accept failed") - linesBefore;
            double share = cpu / (double) CLOCK_TICKS / seconds;
            System.out.printf("descriptor exhaustion: server CPU %.1f %% of a core, %d accept-failed lines in %.1f s,"
                    + " log %d bytes%n", share * 100, lines, seconds, Files.size(log));
            assertTrue(share < 0.20, "server CPU while out of descriptors: " + Math.round(share * 100) + " % of a core");
            assertTrue(lines <= 3, lines + " 'accept failed' lines in 3 s");
            assertTrue(Files.size(log) < 1_000_000, "log size " + Files.size(log));

            for (Socket s : clients) {
                s.close();
            }
            clients.clear();
            long start = System.nanoTime();
            try (SocksClient c = SocksClient.connect(server)) {
                c.greetNoAuth();
            }
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            System.out.printf("descriptor exhaustion: served again %d ms after the clients left%n", ms);
            // At most one accept pause (1 s) plus draining the 400 closed connections from the backlog; 5 s leaves
            // room for a machine busy with other builds (3.9 s seen with a load average of 6 on 2 cores).
            assertTrue(ms < 5000, "served again after " + ms + " ms");
        } finally {
            for (Socket s : clients) {
                s.close();
            }
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static long cpuTicks(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(f[11]) + Long.parseLong(f[12]); // fields 14 and 15: utime, stime
    }

    private static long count(Path log, String text) throws IOException {
        try (var lines = Files.lines(log, StandardCharsets.ISO_8859_1)) {
            return lines.filter(l -> l.contains(text)).count();
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return s.getLocalPort();
        }
    }

    private static void awaitLine(Path log, String text, long timeoutMs) throws Exception {
        long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
        while (System.nanoTime() < deadline) {
            if (Files.exists(log) && count(log, text) > 0) {
                return;
            }
            Thread.sleep(50);
        }
        String all = Files.readString(log, StandardCharsets.ISO_8859_1);
        throw new AssertionError("no '" + text + "' in the log:\n" + all.substring(Math.max(0, all.length() - 4000)));
    }
}
