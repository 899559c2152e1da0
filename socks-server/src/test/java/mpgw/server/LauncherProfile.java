package mpgw.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The JVM profile {@code bin/mpgw} gives a daemon, read from the launcher itself rather than from its text: the
 * launcher runs with {@code JAVA=bench/jvm-args.sh}, which prints {@code MALLOC_ARENA_MAX} and the JVM's options
 * instead of starting one.
 */
record LauncherProfile(String mallocArenaMax, List<String> options) {

    static Path repo() {
        return Path.of(System.getProperty("user.dir")).getParent();
    }

    /**
     * {@code bin/mpgw DAEMON --config CONFIG} with {@code env} added to this process's environment. The launcher runs
     * from a copy laid out as a distribution (bin/mpgw beside an empty lib/): in a fresh checkout's {@code mvn
     * verify} the module's target/lib does not exist yet when its tests run, and the launcher refuses an unbuilt
     * tree before it computes the options.
     */
    static LauncherProfile of(String daemon, Path config, Map<String, String> env) throws IOException,
            InterruptedException {
        Path dist = Files.createTempDirectory("mpgw-launcher");
        try {
            Files.createDirectories(dist.resolve("bin"));
            Files.createDirectories(dist.resolve("lib"));
            Files.copy(repo().resolve("bin/mpgw"), dist.resolve("bin/mpgw"));
            return run(dist.resolve("bin/mpgw"), daemon, config, env);
        } finally {
            Files.delete(dist.resolve("bin/mpgw"));
            Files.delete(dist.resolve("bin"));
            Files.delete(dist.resolve("lib"));
            Files.delete(dist);
        }
    }

    private static LauncherProfile run(Path launcher, String daemon, Path config, Map<String, String> env)
            throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder("bash", launcher.toString(), daemon, "--config", config.toString())
                .redirectErrorStream(true);
        pb.environment().remove("MPGW_MEMORY_OPTS");
        pb.environment().remove("MALLOC_ARENA_MAX");
        pb.environment().put("JAVA", repo().resolve("bench/jvm-args.sh").toString());
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "bin/mpgw " + daemon + " did not return");
        assertEquals(0, p.exitValue(), out);
        List<String> words = Arrays.asList(out.split("\\s+"));
        assertTrue(words.get(0).startsWith("MALLOC_ARENA_MAX="), out);
        return new LauncherProfile(words.get(0).substring("MALLOC_ARENA_MAX=".length()),
                List.copyOf(words.subList(1, words.size())));
    }

    /** The value of the option starting with {@code prefix}, e.g. {@code "-Xmx"}; fails when there is none. */
    String value(String prefix) {
        return options.stream().filter(o -> o.startsWith(prefix)).map(o -> o.substring(prefix.length())).findFirst()
                .orElseThrow(() -> new AssertionError("no " + prefix + " in " + options));
    }

    /** A size option ({@code 64m}, {@code 1g}, {@code 512k}) in bytes. */
    long bytes(String prefix) {
        String v = value(prefix).toLowerCase();
        long unit = v.endsWith("g") ? 1L << 30 : v.endsWith("m") ? 1L << 20 : v.endsWith("k") ? 1L << 10 : 1;
        return Long.parseLong(unit == 1 ? v : v.substring(0, v.length() - 1)) * unit;
    }
}
