package mpgw.gateway.links;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import mpgw.config.ConfigError;
import mpgw.gateway.config.GatewaySettings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LinksSettingsTest {
    @TempDir
    Path dir;

    private LinksSettings load(String links) throws Exception {
        Path f = dir.resolve("gateway.conf");
        Files.writeString(f, "gateway { servers = [\"10.1.1.2:1080\"]\n" + links + "\n}\n");
        return GatewaySettings.load(f).links();
    }

    private String error(String links) {
        return assertThrows(ConfigError.class, () -> load(links)).getMessage();
    }

    @Test
    void theIssuesExampleAndTheDefaults() throws Exception {
        LinksSettings s = load("""
                links = [ { interface = "wan1", role = primary, probe = "10.1.1.2:1081" },
                          { interface = "wan2", role = backup, quota = 5MB, quota-period = day } ]""");
        assertEquals(2, s.links().size());
        assertEquals(LinkRole.PRIMARY, s.links().get(0).role());
        assertEquals("10.1.1.2", s.links().get(0).probe().orElseThrow().getAddress().getHostAddress());
        assertEquals(LinkRole.BACKUP, s.links().get(1).role());
        assertEquals(5_000_000, s.links().get(1).quota().getAsLong());
        assertEquals(LinkSettings.QuotaPeriod.DAY, s.links().get(1).quotaPeriod());
        assertTrue(s.links().get(1).probe().isEmpty());
        assertEquals(200, s.interval().toMillis());
        assertEquals(3, s.downAfter());
        assertEquals(10, s.upAfter());
        assertTrue(load("").links().isEmpty());
        assertEquals(LinkRole.PRIMARY, load("links = [ { interface = wan1 } ]").links().get(0).role());
    }

    @Test
    void badEntriesNameTheKey() {
        assertTrue(error("links = [ { interface = \"wan1\", role = main } ]")
                .contains("'gateway.links[0].role': 'main' is not one of primary, backup"));
        assertTrue(error("links = [ { role = backup } ]").contains("'gateway.links[0].interface': missing"));
        assertTrue(error("links = [ { interface = \"wan 1\" } ]").contains("is not an interface name"));
        assertTrue(error("links = [ { interface = wan1 }, { interface = wan1 } ]").contains("listed twice"));
        assertTrue(error("links = [ { interface = wan1, quota = lots } ]").contains("gateway.links[0].quota"));
        assertTrue(error("links = [ { interface = wan1, probe = \"0.0.0.0:1081\" } ]")
                .contains("not an address to send to"));
        assertTrue(error("link-probes.interval = 5ms").contains("between 20ms and 10s"));
        assertTrue(error("links = [ { interface = wan1, quota = 5MB } ]\nlink-quota.state-file = \"\"")
                .contains("gateway.link-quota.state-file"));
    }
}
