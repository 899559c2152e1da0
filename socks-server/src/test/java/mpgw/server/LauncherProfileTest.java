package mpgw.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The router JVM profile (issue 17, docs/footprint.md) is what every daemon gets by default: {@code bin/mpgw} gives
 * it with the heap cap sized from the config's flow limit, the systemd units start the daemons through {@code
 * bin/mpgw} without options of their own, and docs/footprint.md quotes the options the launcher really passes.
 * No daemon starts: {@link LauncherProfile} runs the launcher with a stand-in for java.
 */
class LauncherProfileTest {
    @TempDir
    Path dir;

    @Test
    void theHeapCapFollowsTheConfigsFlowLimit() throws Exception {
        // 32 MiB for the daemon plus 6 KiB per flow: 10,000 connections -> 32 + 59 = 91 MiB; 2,048 flows -> 44 MiB.
        Path server = write("server.conf", "server {\n  listen = [\"127.0.0.1:1080\"]\n"
                + "  limits { max-connections = 10000, max-connections-per-client = 99999 }\n}\n"
                + "# limits.max-connections = 5 (a comment does not count)\n");
        assertEquals(91L << 20, LauncherProfile.of("server", server, Map.of()).bytes("-Xmx"));
        Path gateway = write("gateway.conf", "gateway.limits.max-flows = 2048\n");
        assertEquals(44L << 20, LauncherProfile.of("gateway", gateway, Map.of()).bytes("-Xmx"));
        // No limit in the file: reference.conf's (socks-server 65,536, gateway 8,192).
        Path bare = write("bare.conf", "server { listen = [\"127.0.0.1:1080\"] }\n");
        assertEquals(416L << 20, LauncherProfile.of("server", bare, Map.of()).bytes("-Xmx"));
        assertEquals(80L << 20, LauncherProfile.of("gateway", bare, Map.of()).bytes("-Xmx"));
    }

    @Test
    void theDefaultIsTheRouterProfileAndMpgwMemoryOptsReplacesIt() throws Exception {
        Path config = write("server.conf", "server { listen = [\"127.0.0.1:1080\"] }\n");
        LauncherProfile profile = LauncherProfile.of("server", config, Map.of());
        assertTrue(profile.options().contains("-XX:+UseSerialGC"), profile.options().toString());
        assertEquals(64L << 20, profile.bytes("-XX:MaxDirectMemorySize="));
        assertEquals("2", profile.mallocArenaMax());

        LauncherProfile big = LauncherProfile.of("server", config, Map.of("MPGW_MEMORY_OPTS", "-Xmx2g",
                "MALLOC_ARENA_MAX", "8"));
        assertEquals(List.of("-Xmx2g"), big.options());
        assertEquals("8", big.mallocArenaMax());
    }

    @Test
    void theSystemdUnitsStartTheDaemonsThroughTheLauncherWithNoJvmOptionsOfTheirOwn() throws Exception {
        for (String unit : List.of("mpgw-server.service", "mpgw-gateway.service")) {
            String text = Files.readString(LauncherProfile.repo().resolve("packaging/systemd/" + unit));
            Matcher exec = Pattern.compile("(?m)^ExecStart=(\\S+) (server|gateway) ").matcher(text);
            assertTrue(exec.find(), unit + " has no ExecStart through a launcher");
            assertEquals("/opt/mpgw/bin/mpgw", exec.group(1), unit);
            for (String override : List.of("MPGW_MEMORY_OPTS", "MPGW_JAVA_OPTS", "MALLOC_ARENA_MAX", "JAVA_TOOL_OPTIONS",
                    "_JAVA_OPTIONS", "JAVA=")) {
                assertFalse(text.contains(override), unit + " sets " + override + ": the launcher's profile is the default");
            }
        }
    }

    @Test
    void docsFootprintQuotesTheOptionsTheLauncherPasses() throws Exception {
        String doc = Files.readString(LauncherProfile.repo().resolve("docs/footprint.md"));
        for (String daemon : List.of("server", "gateway")) {
            Path config = write(daemon + ".conf", daemon + " { }\n");
            LauncherProfile profile = LauncherProfile.of(daemon, config, Map.of());
            String line = "MALLOC_ARENA_MAX=" + profile.mallocArenaMax() + " " + String.join(" ", profile.options())
                    .replaceAll("-Dio.netty.eventLoopThreads=\\d+", "-Dio.netty.eventLoopThreads=N");
            assertTrue(doc.contains(line), "docs/footprint.md does not quote the " + daemon + "'s profile: " + line);
        }
    }

    private Path write(String name, String text) throws Exception {
        Path p = dir.resolve(name);
        Files.writeString(p, text);
        return p;
    }
}
