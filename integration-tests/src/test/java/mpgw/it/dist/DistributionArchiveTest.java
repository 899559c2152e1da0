package mpgw.it.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The archive {@code mvn package} makes ({@code packaging/target/mpgw-VERSION.tar.gz}) holds what docs/deploy.md
 * installs: executable scripts, both daemons' runtime class path and nothing of the tests. That it runs is shown
 * by the container suite, whose image is this distribution.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DistributionArchiveTest {

    /** Entry name (without the top directory) to its mode string, e.g. "bin/mpgw" -> "-rwxr-xr-x". */
    private Map<String, String> entries;

    @BeforeAll
    void list() throws IOException, InterruptedException {
        Path archive = Path.of(System.getProperty("mpgw.dist.archive"));
        assertTrue(Files.isRegularFile(archive), "no archive at " + archive + ": run mvn package");
        Process tar = new ProcessBuilder("tar", "-tvzf", archive.toString()).redirectErrorStream(true).start();
        List<String> lines = new String(tar.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines()
                .collect(Collectors.toList());
        assertEquals(0, tar.waitFor(), "tar -tvzf " + archive + ":\n" + String.join("\n", lines));
        // "-rwxr-xr-x root/root 1778 2026-11-23 11:35 mpgw-0.1.0/bin/mpgw"
        entries = lines.stream()
                .map(l -> l.split("\\s+"))
                .filter(f -> f.length >= 6 && f[5].contains("/"))
                .collect(Collectors.toMap(f -> f[5].substring(f[5].indexOf('/') + 1), f -> f[0], (a, b) -> a));
    }

    @ParameterizedTest
    @ValueSource(strings = {"bin/mpgw", "bin/demo.sh", "bin/testbed.sh", "iptables/mpgw-rules", "iptables/mpgw-endpoints"})
    void scriptIsExecutable(String path) {
        assertEquals("-rwxr-xr-x", entries.get(path), path + " in the archive");
    }

    @ParameterizedTest
    @ValueSource(strings = {"conf/gateway.conf", "conf/server.conf", "systemd/mpgw-gateway.service",
        "systemd/mpgw-server.service", "docs/deploy.md", "docker/Dockerfile", "README.md"})
    void fileIsPresent(String path) {
        assertTrue(entries.containsKey(path), path + " in the archive");
    }

    @ParameterizedTest
    @ValueSource(strings = {"mpgw-gateway-", "mpgw-socks-server-", "mpgw-common-", "mpgw-jni-", "netty-transport-native-epoll-",
        "netty-codec-socks-", "config-", "log4j-core-", "micrometer-registry-prometheus-", "picocli-"})
    void runtimeJarIsInLib(String prefix) {
        assertTrue(jars().stream().anyMatch(j -> j.startsWith(prefix)), prefix + "*.jar in lib/: " + jars());
    }

    @Test
    void libHoldsNoTestJars() {
        Pattern test = Pattern.compile("(junit|testcontainers|opentest4j|docker-java|-tests)\\S*\\.jar");
        assertFalse(jars().stream().anyMatch(j -> test.matcher(j).find()), "test jars in lib/: " + jars());
    }

    private List<String> jars() {
        return entries.keySet().stream()
                .filter(e -> e.startsWith("lib/") && e.endsWith(".jar"))
                .map(e -> e.substring("lib/".length()))
                .sorted()
                .collect(Collectors.toList());
    }
}
