package mpgw.gateway.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.embedded.EmbeddedChannel;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import mpgw.gateway.config.GatewaySettings;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link ServerReport}'s lines for given probe results: what a server says is escaped (no line of its making),
 * and the keys line names what fits and what this config sets otherwise. The real servers: CheckServersTest.
 */
class ServerReportTest {
    private static final InetSocketAddress SERVER = new InetSocketAddress("10.1.1.2", 1085);
    private static final String NAME = "10.1.1.2:1085";

    @TempDir
    Path dir;
    private final EmbeddedChannel channel = new EmbeddedChannel();

    @AfterEach
    void close() {
        channel.finishAndReleaseAll();
    }

    private GatewaySettings settings(String extra) throws Exception {
        Path f = dir.resolve("gateway.conf");
        Files.writeString(f, "gateway { servers = [\"" + NAME + "\"]\n" + extra + "\n}");
        return GatewaySettings.load(f);
    }

    private ProbeHandshake.Result granted() {
        return new ProbeHandshake.Result(channel, null, null, null, false, 3, false);
    }

    private ProbeHandshake.Result failed(String message) {
        return new ProbeHandshake.Result(channel, null, null, new IOException(message), false, 3, false);
    }

    private ProbeHandshake.Result late() {
        return new ProbeHandshake.Result(channel, null, null, null, true, 57, false);
    }

    private static Check named(List<Check> checks, String name) {
        return checks.stream().filter(c -> c.name().equals(name + " " + NAME)).findFirst().orElseThrow();
    }

    @Test
    void whatTheServerSaysIsEscapedIntoOneLine() throws Exception {
        ServerTraits t = new ServerTraits();
        t.pipelining = failed("closed\n2026-12-05T17:00:00Z INFO forged line \u001b[31mred\\");
        t.fwdUdp = failed("bye\r\n");
        t.associate = granted();
        List<Check> checks = new ServerReport(settings("socks.pipelined = off"), SERVER, NAME, t).checks();
        for (Check c : checks) {
            String line = c.line();
            assertFalse(line.chars().anyMatch(ch -> ch < 0x20 || ch >= 0x7f), "printable ASCII only: " + line);
        }
        assertEquals("OK   pipelining " + NAME + ": no command reply to a pipelined request:"
                + " closed\\n2026-12-05T17:00:00Z INFO forged line \\x1b[31mred\\\\: the server drops pipelined bytes"
                + " (microsocks does); gateway.socks.pipelined = off suits it", named(checks, "pipelining").line());
        assertEquals("FAIL udp " + NAME + ": FWD UDP no reply (bye\\r\\n), UDP ASSOCIATE granted; gateway.udp.mode"
                + " = stream needs the first; fix: gateway.udp.mode = associate", named(checks, "udp").line());
    }

    @Test
    void autoAgainstAServerThatDropsPassesAndNamesOff() throws Exception {
        ServerTraits t = new ServerTraits();
        t.pipelining = late();
        t.fwdUdp = granted();
        t.associate = granted();
        List<Check> checks = new ServerReport(settings(""), SERVER, NAME, t).checks();
        assertEquals("OK   pipelining " + NAME + ": answered the method selection but not the pipelined request within"
                + " 57 ms: the server drops pipelined bytes (microsocks does); gateway.socks.pipelined = auto falls"
                + " back for it (after one race per 1h); off spares the first flow that race",
                named(checks, "pipelining").line());
        assertEquals("OK   keys " + NAME + ": gateway.socks.pipelined = off, gateway.udp.mode = stream (configured:"
                + " gateway.socks.pipelined = auto)", named(checks, "keys").line());
    }

    @Test
    void theKeysLineNamesWhatFitsAndWhatThisConfigSetsOtherwise() throws Exception {
        ServerTraits t = new ServerTraits();
        t.pipelining = late();
        t.fastOpen = new ProbeHandshake.Result(channel, null, null, null, false, 1, true);
        t.fwdUdp = failed("server closed the connection before the command reply");
        t.associate = granted();
        List<Check> checks = new ServerReport(settings("socks.pipelined = on"), SERVER, NAME, t).checks();
        Check pipelining = named(checks, "pipelining");
        assertFalse(pipelining.ok(), "on hangs every flow to a server that drops pipelined bytes");
        assertEquals("gateway.socks.pipelined = off (or auto)", pipelining.fix());
        assertFalse(named(checks, "udp").ok(), "udp.mode = stream (the default) needs FWD UDP");
        assertEquals("gateway.udp.mode = associate", named(checks, "udp").fix());
        assertTrue(named(checks, "fast-open").ok());
        assertEquals("OK   keys " + NAME + ": gateway.socks.pipelined = off, gateway.udp.mode = associate,"
                + " gateway.upstream.fast-open = on (configured: gateway.socks.pipelined = on, gateway.udp.mode ="
                + " stream, gateway.upstream.fast-open = off)", named(checks, "keys").line());
    }
}
