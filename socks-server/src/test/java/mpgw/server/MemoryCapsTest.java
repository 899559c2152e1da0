package mpgw.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The memory caps {@code bin/mpgw} gives every daemon (issue 16, docs/testing.md "Memory under probing") hold for a
 * real socks-server process under a bounded loopback load: the JVM is started with the options {@code bin/mpgw}
 * gives this config ({@link LauncherProfile}: the router profile, heap cap from the flow limit) plus Native Memory
 * Tracking, 40 CONNECT flows move 4 MiB each way through it to an echo server, and {@code jcmd VM.native_memory} is sampled during and after the load. Asserts:
 * every flow's bytes came back, the heap is reserved at the cap (so it cannot grow past it), Netty's direct memory
 * (NMT's "Other": Netty allocates with Unsafe) stays under MaxDirectMemorySize, and the JVM runs with that limit.
 * Starts a daemon: run under the kernel-tests lock (docs/testing.md).
 */
class MemoryCapsTest {
    private static final int FLOWS = 40;
    private static final int PIECE = 64 * 1024;
    private static final int PIECES = 64; // 4 MiB per flow, each way
    private static final Pattern NMT = Pattern.compile("-\\s+(Java Heap|Other) \\(reserved=(\\d+)KB, committed=(\\d+)KB\\)");

    @TempDir
    Path dir;

    @Test
    void aServerUnderLoadStaysInsideTheCapsBinMpgwGivesIt() throws Exception {
        int port;
        try (ServerSocket probe = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = probe.getLocalPort();
        }
        Path config = dir.resolve("server.conf");
        Files.writeString(config, "server { listen = [\"127.0.0.1:" + port + "\"]\n"
                + "destinations { deny = [], deny-own-addresses = false } }\n");
        LauncherProfile profile = LauncherProfile.of("server", config, Map.of());
        long heapCap = profile.bytes("-Xmx");
        long directCap = profile.bytes("-XX:MaxDirectMemorySize=");
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(profile.options());
        command.addAll(List.of("-XX:NativeMemoryTracking=summary", "-cp", System.getProperty("java.class.path"),
                "mpgw.server.ServerMain", "--config", config.toString()));
        ProcessBuilder launch = new ProcessBuilder(command);
        launch.environment().put("MALLOC_ARENA_MAX", profile.mallocArenaMax());
        Process server = launch.redirectErrorStream(true)
                .redirectOutput(dir.resolve("server.log").toFile()).start();
        try (TcpEcho echo = new TcpEcho("127.0.0.1")) {
            awaitListening(port, server);
            String flags = jcmd(server.pid(), "VM.flags");
            assertTrue(flags.contains("-XX:MaxDirectMemorySize=" + directCap), flags);

            ExecutorService pool = Executors.newFixedThreadPool(FLOWS);
            List<Future<?>> flows = new ArrayList<>();
            for (int i = 0; i < FLOWS; i++) {
                flows.add(pool.submit(() -> {
                    flow(new InetSocketAddress("127.0.0.1", port), echo.address());
                    return null;
                }));
            }
            long maxHeap = 0;
            long maxDirect = 0;
            while (!flows.stream().allMatch(Future::isDone)) {
                long[] m = memory(server.pid());
                assertEquals(heapCap / 1024, m[0], "heap reserved at the cap");
                maxHeap = Math.max(maxHeap, m[1]);
                maxDirect = Math.max(maxDirect, m[2]);
                Thread.sleep(300);
            }
            for (Future<?> f : flows) {
                f.get(); // each flow's echo compared
            }
            pool.shutdown();
            long[] after = memory(server.pid());
            maxHeap = Math.max(maxHeap, after[1]);
            maxDirect = Math.max(maxDirect, after[2]);
            System.out.printf("memory caps: heap committed max %d KB (cap %d KB), direct (NMT Other) max %d KB (cap %d"
                    + " KB)%n", maxHeap, heapCap / 1024, maxDirect, directCap / 1024);
            assertTrue(maxHeap <= heapCap / 1024, "heap committed " + maxHeap + " KB");
            assertTrue(maxDirect <= directCap / 1024, "direct memory " + maxDirect + " KB");
        } finally {
            server.destroy();
            if (!server.waitFor(15, TimeUnit.SECONDS)) {
                server.destroyForcibly();
            }
        }
    }

    /** One CONNECT to the echo server, 4 MiB written and read back in 64 KiB steps. */
    private static void flow(InetSocketAddress socks, InetSocketAddress echo) throws IOException {
        try (SocksClient c = SocksClient.connect(socks)) {
            c.greetNoAuth();
            assertEquals(0, c.request(1, echo).rep(), "CONNECT granted");
            byte[] piece = new byte[PIECE];
            Arrays.fill(piece, (byte) 'm');
            for (int i = 0; i < PIECES; i++) {
                c.send(piece);
                assertArrayEquals(piece, c.read(PIECE));
            }
        }
    }

    /** {heap reserved, heap committed, Other committed} in KB. */
    private static long[] memory(long pid) throws IOException, InterruptedException {
        String nmt = jcmd(pid, "VM.native_memory", "summary");
        long[] r = new long[3];
        Matcher m = NMT.matcher(nmt);
        while (m.find()) {
            if (m.group(1).equals("Java Heap")) {
                r[0] = Long.parseLong(m.group(2));
                r[1] = Long.parseLong(m.group(3));
            } else {
                r[2] = Long.parseLong(m.group(3));
            }
        }
        assertTrue(r[0] > 0, nmt);
        return r;
    }

    private static String jcmd(long pid, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                Long.toString(pid)));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0, String.join(" ", cmd) + ": " + out);
        return out;
    }

    private static void awaitListening(int port, Process server) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            assertTrue(server.isAlive(), "the server exited with " + (server.isAlive() ? "" : server.exitValue()));
            try (Socket s = new Socket("127.0.0.1", port)) {
                return;
            } catch (IOException notYet) {
                Thread.sleep(200);
            }
        }
        throw new AssertionError("the server did not listen on " + port + " within 30 s");
    }
}
