package mpgw.it.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * {@code bin/mpgw demo --seconds 12} end to end on this host's kernel: namespaces, both daemons, iperf3, the
 * link cut and back; then nothing of it is left. Needs root (as in CI); skipped otherwise.
 */
class DemoScriptTest {

    private static final Pattern SECOND_LINE =
            Pattern.compile("t=\\s*\\d+s\\s+link1\\s+[0-9.]+ Mbit/s\\s+link2\\s+[0-9.]+ Mbit/s\\s+total\\s+[0-9.]+ Mbit/s");
    private static final Pattern TOTAL_LINE = Pattern.compile("total: [0-9.]+ Mbit/s on average over 12 s on 2 link\\(s\\).*");

    @Test
    void runsEndToEndAndRemovesEverything() throws Exception {
        assumeTrue(isRoot(), "the demo needs root (network namespaces); CI runs as root");
        Path root = Path.of(System.getProperty("mpgw.source.root", "..")).toAbsolutePath().normalize();
        Path output = Files.createTempFile("mpgw-demo", ".log");
        try {
            Process demo = new ProcessBuilder("bash", root.resolve("bin/mpgw").toString(), "demo", "--seconds", "12")
                    .redirectErrorStream(true)
                    .redirectOutput(output.toFile())
                    .start();
            boolean exited = demo.waitFor(120, TimeUnit.SECONDS);
            if (!exited) {
                demo.destroy();
                demo.waitFor(20, TimeUnit.SECONDS);
            }
            List<String> lines = Files.readAllLines(output, StandardCharsets.UTF_8);
            String log = String.join("\n", lines);
            System.out.println(log);
            assertTrue(exited, "demo did not finish within 120 s:\n" + log);
            assertEquals(0, demo.exitValue(), "demo exit status:\n" + log);
            assertEquals(12, lines.stream().filter(l -> SECOND_LINE.matcher(l).matches()).count(),
                    "one line per second:\n" + log);
            assertTrue(lines.stream().anyMatch(l -> l.startsWith("--- link 2 DOWN")), "link cut announced:\n" + log);
            assertTrue(lines.stream().anyMatch(l -> l.startsWith("--- link 2 UP")), "link restore announced:\n" + log);
            assertTrue(lines.stream().anyMatch(l -> TOTAL_LINE.matcher(l).matches()), "total line:\n" + log);
            assertEquals("", demoNamespaces(), "namespaces left behind by the demo");
        } finally {
            Files.deleteIfExists(output);
        }
    }

    private static boolean isRoot() throws IOException, InterruptedException {
        Process id = new ProcessBuilder("id", "-u").start();
        String uid = new String(id.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        id.waitFor();
        return uid.equals("0");
    }

    private static String demoNamespaces() throws IOException, InterruptedException {
        Process list = new ProcessBuilder("ip", "netns", "list").start();
        String all = new String(list.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        list.waitFor();
        return all.lines().filter(l -> l.startsWith("mpgwdemo-")).collect(Collectors.joining(" "));
    }
}
