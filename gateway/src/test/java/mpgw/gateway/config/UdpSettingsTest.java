package mpgw.gateway.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import mpgw.config.ConfigError;
import mpgw.gateway.config.GatewaySettings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The gateway.udp block: documented defaults, overrides, and errors that name the key and the file. */
class UdpSettingsTest {
    @TempDir
    Path dir;

    private UdpSettings load(String udp) throws Exception {
        Path file = dir.resolve("gateway.conf");
        Files.writeString(file, "gateway {\n servers = [\"10.1.1.2:1080\"]\n udp {\n" + udp + "\n }\n}\n");
        return GatewaySettings.load(file).udp();
    }

    @Test
    void defaultsComeFromReferenceConf() throws Exception {
        UdpSettings s = load("");
        assertTrue(s.enabled());
        assertEquals(new InetSocketAddress("::", 12346), s.listen());
        assertEquals(UdpSettings.Mode.STREAM, s.mode());
        assertEquals(java.util.List.of(new InetSocketAddress("10.1.1.2", 1080)), s.servers(), "gateway.servers");
        assertEquals(Duration.ofSeconds(60), s.idleTimeout());
        assertEquals(Duration.ofSeconds(10), s.oneShotIdleTimeout());
        assertEquals(4096, s.maxSessions());
        assertEquals(65507, s.maxDatagramSize());
        assertEquals(1 << 20, s.streamWriteBuffer());
        assertEquals(9, s.denyDestinations().size());
    }

    @Test
    void udpServersOverrideTheGatewayOnes() throws Exception {
        UdpSettings s = load("mode = associate\nservers = [\"10.1.1.2:1081\"]");
        assertEquals(UdpSettings.Mode.ASSOCIATE, s.mode());
        assertEquals(java.util.List.of(new InetSocketAddress("10.1.1.2", 1081)), s.servers());
    }

    @Test
    void budgetsDefaultForASmallRouterAndAClientCannotHaveMoreThanAll() throws Exception {
        Path file = dir.resolve("limits.conf");
        Files.writeString(file, "gateway {\n servers = [\"10.1.1.2:1080\"]\n}\n");
        GatewaySettings.Limits l = GatewaySettings.load(file).limits();
        assertEquals(512, l.udpSessionsPerClient());
        assertEquals(16L << 20, l.udpQueuedBytes());
        assertEquals(4L << 20, l.udpQueuedBytesPerClient());
        Files.writeString(file, "gateway {\n servers = [\"10.1.1.2:1080\"]\n limits.udp-queued-bytes = 1MiB\n"
                + " limits.udp-queued-bytes-per-client = 2MiB\n}\n");
        ConfigError e = assertThrows(ConfigError.class, () -> GatewaySettings.load(file));
        assertTrue(e.getMessage().contains("gateway.limits.udp-queued-bytes-per-client"), e.getMessage());
        assertTrue(e.getMessage().contains("limits.conf"), e.getMessage());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "mode = tunnel                 | gateway.udp.mode",
        "listen = \"[::]:0\"           | gateway.udp.listen",
        "listen = \"\"                 | gateway.udp.listen",
        "max-sessions = 0              | gateway.udp.max-sessions",
        "max-datagram-size = 70000     | gateway.udp.max-datagram-size",
        "stream-write-buffer = 1KiB    | gateway.udp.stream-write-buffer",
        "receive-buffer = -1           | gateway.udp.receive-buffer",
        "destinations.deny = [\"x/8\"] | gateway.udp.destinations.deny",
        "servers = [\"0.0.0.0:1080\"]  | gateway.udp.servers",
    })
    void badValuesNameTheKeyAndTheFile(String line, String key) {
        ConfigError e = assertThrows(ConfigError.class, () -> load(line));
        assertTrue(e.getMessage().contains(key), e.getMessage());
        assertTrue(e.getMessage().contains("gateway.conf"), e.getMessage());
    }
}
