package mpgw.it.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/mpgw}'s class-data sharing (docs/footprint.md, "Start-up"), run from the distribution {@code mvn
 * package} made, with the real JDK: the first start records the daemon's class list, the second makes the archive
 * and maps it, later starts map the same archive; new jars start over; {@code MPGW_CDS=off} writes nothing.
 * Whether the JVM really uses the archive is read from the daemon's {@code /proc/PID/maps}, not from the launcher.
 */
class LauncherClassDataSharingTest {
    @TempDir
    Path work;

    @Test
    void firstStartRecordsTheClassesTheNextMakesTheArchiveAndLaterStartsMapIt() throws Exception {
        Path dist = Path.of(System.getProperty("mpgw.dist.dir"));
        Path cache = Files.createDirectory(work.resolve("cache"));
        Map<String, String> env = Map.of("MPGW_CDS_DIR", cache.toString());

        List<String> maps = startAndStop(dist, env);
        Path list = only(cache, ".classlist");
        assertFalse(mapsAny(maps, cache), "the first start maps no archive of ours: " + files(cache));
        List<String> classes = Files.readAllLines(list);
        assertTrue(classes.size() > 500 && classes.contains("mpgw/server/SocksServer"),
                "the class list holds the daemon's classes: " + classes.size() + " lines");

        maps = startAndStop(dist, env);
        Path jsa = only(cache, ".jsa");
        assertTrue(mapsAny(maps, jsa), "the second start maps the archive it made: " + files(cache));
        FileTime made = Files.getLastModifiedTime(jsa);

        maps = startAndStop(dist, env);
        assertTrue(mapsAny(maps, jsa), "a later start maps the same archive");
        assertEquals(made, Files.getLastModifiedTime(jsa), "and does not make it again");
    }

    @Test
    void newJarsStartOverAndOffWritesNothing() throws Exception {
        Path dist = copyOfDistribution();
        Path cache = Files.createDirectory(work.resolve("cache"));
        Map<String, String> env = Map.of("MPGW_CDS_DIR", cache.toString());
        startAndStop(dist, env);
        Path oldList = only(cache, ".classlist");
        startAndStop(dist, env);
        Path jsa = only(cache, ".jsa");

        // An upgrade replaces a jar: the old archive's classes are not the ones on the class path any more.
        Path jar;
        try (Stream<Path> jars = Files.list(dist.resolve("lib"))) {
            jar = jars.filter(p -> p.getFileName().toString().startsWith("mpgw-socks-server")).findFirst()
                    .orElseThrow();
        }
        Files.setLastModifiedTime(jar, FileTime.fromMillis(System.currentTimeMillis() + 60_000));
        List<String> maps = startAndStop(dist, env);
        assertFalse(mapsAny(maps, cache), "after the jar changed, the old archive is not used: " + files(cache));
        Path newList = only(cache, ".classlist");
        assertFalse(newList.equals(oldList), "a new class list is recorded under a new key, the old one removed: "
                + files(cache));

        Path offCache = Files.createDirectory(work.resolve("off"));
        maps = startAndStop(dist, Map.of("MPGW_CDS_DIR", offCache.toString(), "MPGW_CDS", "off"));
        assertTrue(files(offCache).isEmpty(), "MPGW_CDS=off writes nothing: " + files(offCache));
        assertFalse(mapsAny(maps, offCache) || mapsAny(maps, jsa), "and maps no archive of ours");
    }

    /** The socks-server from {@code dist} on a free loopback port, until it listens; its mappings; SIGTERM. */
    private List<String> startAndStop(Path dist, Map<String, String> env) throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path conf = work.resolve("server.conf");
        Files.writeString(conf, "server { listen = [\"127.0.0.1:" + port + "\"], metrics.listen = \"\" }\n");
        Path log = work.resolve("server.log");
        ProcessBuilder pb = new ProcessBuilder("bash", dist.resolve("bin/mpgw").toString(), "server", "--config",
                conf.toString()).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().remove("MPGW_CDS");
        pb.environment().remove("CACHE_DIRECTORY");
        pb.environment().remove("MPGW_JAVA_OPTS");
        pb.environment().put("JAVA", Path.of(System.getProperty("java.home"), "bin", "java").toString());
        pb.environment().putAll(env);
        Process p = pb.start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90); // the archive's dump: seconds
            while (!listens(port)) {
                assertTrue(p.isAlive(), "the daemon exited: " + Files.readString(log));
                assertTrue(System.nanoTime() < deadline, "not listening after 90 s: " + Files.readString(log));
                Thread.sleep(100); // bounded by the deadline
            }
            // bin/mpgw execs java: the process we started is the JVM.
            return Files.readAllLines(Path.of("/proc", Long.toString(p.pid()), "maps"));
        } finally {
            p.destroy();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
    }

    private static boolean listens(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static boolean mapsAny(List<String> maps, Path under) {
        return maps.stream().anyMatch(l -> l.contains(under.toString()));
    }

    private static Path only(Path dir, String suffix) throws IOException {
        List<String> found = files(dir).stream().filter(f -> f.endsWith(suffix)).collect(Collectors.toList());
        assertEquals(1, found.size(), "one *" + suffix + " in " + files(dir));
        return dir.resolve(found.get(0));
    }

    private static List<String> files(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
        }
    }

    /** bin/mpgw and lib/ of the distribution, copied, so a jar can change without touching the build's. */
    private Path copyOfDistribution() throws IOException {
        Path from = Path.of(System.getProperty("mpgw.dist.dir"));
        Path to = work.resolve("dist");
        Files.createDirectories(to.resolve("bin"));
        Files.createDirectories(to.resolve("lib"));
        Files.copy(from.resolve("bin/mpgw"), to.resolve("bin/mpgw"));
        try (Stream<Path> jars = Files.list(from.resolve("lib"))) {
            for (Path j : (Iterable<Path>) jars::iterator) {
                Files.copy(j, to.resolve("lib").resolve(j.getFileName()));
            }
        }
        return to;
    }
}
