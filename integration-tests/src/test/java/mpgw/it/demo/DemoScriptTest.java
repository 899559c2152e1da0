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
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import mpgw.it.harness.SkipNotice;
import mpgw.testing.Sh;
import org.junit.jupiter.api.Test;

/**
 * {@code bin/mpgw demo --seconds 12} end to end on this host's kernel: namespaces, both daemons, iperf3, the
 * link cut and back; then nothing of it is left. Needs root (as in CI); skipped otherwise.
 *
 * <p>Not only the output's format: what the demo claims must hold. With both links up the total is well above
 * one link's rate (plain routing without mpgw, or one subflow, cannot do that), link 2 carries nothing while it
 * is down and the one iperf3 flow goes on every second through the cut and after the restore.
 */
class DemoScriptTest {

    private static final int SECONDS = 12;
    private static final Pattern SECOND_LINE = Pattern.compile(
            "t=\\s*(\\d+)s\\s+link1\\s+([0-9.]+) Mbit/s\\s+link2\\s+([0-9.]+) Mbit/s\\s+total\\s+([0-9.]+) Mbit/s");
    private static final Pattern TOTAL_LINE = Pattern.compile(
            "total: [0-9.]+ Mbit/s on average over 12 s on 2 link\\(s\\) of ([0-9]+)mbit each");
    private static final Pattern RECEIVER_LINE = Pattern.compile("iperf3 receiver: ([0-9.]+) ([KMG]?)bits/sec .*");

    /** One per-second line of the demo: its second, each link's rate and the total, in Mbit/s. */
    record Second(int t, double link1, double link2, double total) {
    }

    @Test
    void runsEndToEndAndRemovesEverything() throws Exception {
        assumeTrue(isRoot(), () -> SkipNotice.announce(DemoScriptTest.class,
                "the demo needs root (network namespaces); CI runs as root"));
        Path root = Path.of(System.getProperty("mpgw.source.root", "..")).toAbsolutePath().normalize();
        Path output = Files.createTempFile("mpgw-demo", ".log");
        try {
            Process demo = new ProcessBuilder("bash", root.resolve("bin/mpgw").toString(), "demo", "--seconds",
                            String.valueOf(SECONDS))
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
            List<Second> seconds = lines.stream().map(SECOND_LINE::matcher).filter(Matcher::matches)
                    .map(m -> new Second(Integer.parseInt(m.group(1)), Double.parseDouble(m.group(2)),
                            Double.parseDouble(m.group(3)), Double.parseDouble(m.group(4))))
                    .toList();
            assertEquals(SECONDS, seconds.size(), "one line per second:\n" + log);
            assertTrue(lines.stream().anyMatch(l -> l.startsWith("--- link 2 DOWN")), "link cut announced:\n" + log);
            assertTrue(lines.stream().anyMatch(l -> l.startsWith("--- link 2 UP")), "link restore announced:\n" + log);
            Matcher total = lines.stream().map(TOTAL_LINE::matcher).filter(Matcher::matches).findFirst()
                    .orElseThrow(() -> new AssertionError("total line:\n" + log));
            Matcher receiver = lines.stream().map(RECEIVER_LINE::matcher).filter(Matcher::matches).findFirst()
                    .orElseThrow(() -> new AssertionError("iperf3 receiver line:\n" + log));
            assertEquals("", demoNamespaces(), "namespaces left behind by the demo");

            // What the demo shows must be true: thresholds from the testbed's link rate, as the demo reports it.
            double link = Double.parseDouble(total.group(1));
            int cut = SECONDS / 3;          // the demo takes link 2 down after this second's line ...
            int restore = 2 * SECONDS / 3;  // ... and brings it back after this one's
            // Both links up (the first second is the ramp-up): well above what one link can carry, both carry.
            List<Second> both = seconds.subList(1, cut);
            double bothMean = both.stream().mapToDouble(Second::total).average().orElseThrow();
            System.out.printf("demo: link %.0f Mbit/s; both links up %.1f Mbit/s; link 2 down %s; iperf3 %s %sbit/s%n",
                    link, bothMean, seconds.subList(cut, restore).stream().map(x -> String.valueOf(x.total())).toList(),
                    receiver.group(1), receiver.group(2));
            assertTrue(bothMean > 1.5 * link, "both links up: " + bothMean + " Mbit/s on average over t=2.." + cut
                    + ", not well above one link's " + link + " Mbit/s (aggregation):\n" + log);
            for (Second x : both) {
                assertTrue(x.link1() > 0.25 * link && x.link2() > 0.25 * link,
                        "t=" + x.t() + ": both links must carry part of the flow:\n" + log);
            }
            // Link 2 down (its first second is the transition: the cut takes effect during it): link 2 carries
            // nothing; from the cut to the end the flow goes on every second (no stall, no break).
            for (Second x : seconds.subList(cut + 1, restore)) {
                assertTrue(x.link2() < 0.05 * link, "t=" + x.t() + ": link 2 is down but carried traffic:\n" + log);
            }
            for (Second x : seconds.subList(cut, SECONDS)) {
                assertTrue(x.total() > 0.25 * link, "t=" + x.t() + ": the flow stalled after the cut:\n" + log);
            }
            // Link 2 back (router B's path watcher re-announces it; a second for that): the same flow uses it again.
            assertTrue(seconds.subList(restore + 1, SECONDS).stream().anyMatch(x -> x.link2() > 0.25 * link),
                    "link 2 carried none of the flow after it came back:\n" + log);
            // iperf3 is one TCP connection for the whole run (the demo fails if it breaks): what it received on
            // average is more than one link could have carried alone.
            double received = Double.parseDouble(receiver.group(1))
                    * switch (receiver.group(2)) { case "G" -> 1000; case "M" -> 1; case "K" -> 0.001; default -> 1e-6; };
            assertTrue(received > 1.1 * link, "iperf3 received " + received + " Mbit/s on average: not above one link's "
                    + link + " Mbit/s, so the flow did not use both links for most of the run:\n" + log);
        } finally {
            Files.deleteIfExists(output);
        }
    }

    private static boolean isRoot() throws IOException, InterruptedException {
        return Sh.run(List.of("id", "-u")).output().trim().equals("0");
    }

    private static String demoNamespaces() throws IOException, InterruptedException {
        return Sh.run(List.of("ip", "netns", "list")).output().lines().filter(l -> l.startsWith("mpgwdemo-"))
                .collect(Collectors.joining(" "));
    }
}
