package mpgw.testbed;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * What a daemon's JVM says about its memory, through {@code jcmd}: heap use and the Native Memory Tracking summary
 * (when the daemon runs with {@code -XX:NativeMemoryTracking=summary}, see {@code mpgw.test.daemonJvmOptions}).
 * For reports of where a daemon's RSS goes; prints only.
 */
public final class JvmMemory {
    private JvmMemory() {
    }

    /** The output of {@code jcmd pid command...} (10 s at most), or the error. */
    public static String jcmd(long pid, String... command) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString());
        cmd.add(Long.toString(pid));
        cmd.addAll(List.of(command));
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
            return new String(out, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "jcmd failed: " + e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "jcmd interrupted";
        }
    }

    /** Heap, NMT summary (committed lines) and the top of the class histogram, labelled. */
    public static String report(long pid, String label, boolean histogram) {
        StringBuilder b = new StringBuilder("=== jvm memory " + label + " ===\n");
        b.append(jcmd(pid, "GC.heap_info"));
        for (String line : jcmd(pid, "VM.native_memory", "summary", "scale=KB").split("\n")) {
            if (line.contains("committed=") && !line.contains("(mmap:") && !line.contains("(malloc=")
                    || line.startsWith("Total")) {
                b.append(line.strip()).append('\n');
            }
        }
        if (histogram) {
            String[] h = jcmd(pid, "GC.class_histogram").split("\n");
            for (int i = 0; i < Math.min(h.length, 28); i++) {
                b.append(h[i]).append('\n');
            }
        }
        return b.toString();
    }
}
