package mpgw.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import mpgw.config.ConfigError;
import mpgw.daemon.Cli;
import mpgw.gateway.config.GatewaySettings;
import mpgw.gateway.config.InterceptMode;
import mpgw.paths.PathWatcherSettings;
import mpgw.tls.KeyFiles;
import mpgw.tls.KeyGeneration;
import mpgw.tls.KeyMaterial;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The gateway config: defaults from reference.conf, and errors that name the key and the file. */
class GatewaySettingsTest {
    @TempDir
    Path dir;

    private Path file(String body) throws Exception {
        Path f = dir.resolve("gateway.conf");
        Files.writeString(f, body);
        return f;
    }

    @Test
    void defaultsComeFromReferenceConf() throws Exception {
        GatewaySettings s = GatewaySettings.load(file("gateway.servers = [\"10.1.1.2:1080\", \"[fd00:2::2]:1080\"]"));
        assertEquals(2, s.servers().size());
        assertEquals(InterceptMode.REDIRECT, s.mode());
        assertEquals(0x2a, s.mark());
        assertTrue(s.socks().pipelined());
        assertEquals(Duration.ofMillis(250), s.connectRaceDelay());
        assertEquals(PathWatcherSettings.Mode.AUTO, s.pathWatcher().mode());
        assertEquals(Duration.ofSeconds(1), s.pathWatcher().reannounceDelay());
        assertFalse(s.fastOpen(), "off by default: the kernel's TFO download slowdown, docs/zero-rtt.md");
        assertEquals(Duration.ofMillis(2), s.fastOpenWait());
        assertTrue(!s.pool().enabled(), "the pool is off by default");
        assertEquals(Duration.ofSeconds(8), s.pool().maxIdle());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "servers = []                                        | gateway.servers",
        "servers = [\"10.1.1.2\"]                            | gateway.servers",
        "servers = [\"10.1.1.2:1080\"], mode = nat            | gateway.mode",
        "servers = [\"10.1.1.2:1080\"], upstream.mark = \"0xzz\" | gateway.upstream.mark",
        "servers = [\"10.1.1.2:1080\"], mptcp = maybe | gateway.mptcp",
        "servers = [\"10.1.1.2:1080\"], timeouts.udp-idle = 0s | gateway.timeouts.udp-idle",
        "servers = [\"10.1.1.2:1080\"], timeouts.handshake = 0s | gateway.timeouts.handshake",
        "servers = [\"10.1.1.2:1080\"], relay.drain-limit = 0s | gateway.relay.drain-limit",
        "servers = [\"10.1.1.2:1080\"], socks.early-data-limit = 64MiB | gateway.socks.early-data-limit",
        "servers = [\"10.1.1.2:1080\"], socks.early-data-limit = lots | gateway.socks.early-data-limit",
        "servers = [\"10.1.1.2:1080\"], udp.receive-buffer = huge | gateway.udp.receive-buffer",
        "servers = [\"10.1.1.2:1080\"], path-watcher.enabled = sometimes | gateway.path-watcher.enabled",
        "servers = [\"10.1.1.2:1080\"], timeouts.conect = 1s | timeouts.conect",
        "servers = [\"10.1.1.2:1080\"], upstream.fast-open = maybe | gateway.upstream.fast-open",
        "servers = [\"10.1.1.2:1080\"], upstream.fast-open-wait = -1ms | gateway.upstream.fast-open-wait",
        "servers = [\"10.1.1.2:1080\"], upstream.fast-open-wait = 2s | gateway.upstream.fast-open-wait",
        "servers = [\"10.1.1.2:1080\"], upstream.fast-open-wait = soon | gateway.upstream.fast-open-wait",
        "servers = [\"10.1.1.2:1080\"], upstream.pool.size = -1 | gateway.upstream.pool.size",
        "servers = [\"10.1.1.2:1080\"], upstream.pool.min-subflows = 0 | gateway.upstream.pool.min-subflows",
        "servers = [\"10.1.1.2:1080\"], upstream.pool.check-interval = 9s | gateway.upstream.pool.check-interval",
        "servers = [\"10.1.1.2:1080\"], upstream.tls.enabled = maybe | gateway.upstream.tls.enabled",
        "servers = [\"10.1.1.2:1080\"], upstream.tls.provider = gnutls | gateway.upstream.tls.provider",
        "servers = [\"10.1.1.2:1080\"], upstream.tls.handshake-timeout = 0s | gateway.upstream.tls.handshake-timeout",
        "servers = [\"10.1.1.2:1080\"], upstream.tls.enabled = on | gateway.upstream.tls.certificate",
    })
    void badValuesNameTheKeyAndTheFile(String body, String key) throws Exception {
        Path f = file("gateway { " + body + " }");
        ConfigError e = assertThrows(ConfigError.class, () -> GatewaySettings.load(f));
        assertTrue(e.getMessage().contains(key) && e.getMessage().contains(f.toString()), e.getMessage());
    }

    /** Renamed keys have no aliases: the error names the file, the line and the new key. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "idle-timeout = 1h                  | gateway.idle-timeout was renamed to gateway.timeouts.idle",
        "socks.handshake-timeout = 5s       | gateway.socks.handshake-timeout was renamed to gateway.timeouts.handshake",
        "upstream { connect-timeout = 5s }  | gateway.upstream.connect-timeout was renamed to gateway.timeouts.connect",
        "upstream.mptcp = required          | gateway.upstream.mptcp was renamed to gateway.mptcp",
        "udp { idle-timeout = 1m }          | gateway.udp.idle-timeout was renamed to gateway.timeouts.udp-idle",
        "udp.one-shot-idle-timeout = 5s     | gateway.udp.one-shot-idle-timeout was renamed to gateway.timeouts.udp-one-shot-idle",
        "udp.deny-destinations = []         | gateway.udp.deny-destinations was renamed to gateway.udp.destinations.deny",
    })
    void anOldKeyIsAnErrorThatNamesTheNewOne(String line, String message) throws Exception {
        Path f = file("gateway {\n  servers = [\"10.1.1.2:1080\"]\n  " + line + "\n}\n");
        ConfigError e = assertThrows(ConfigError.class, () -> GatewaySettings.load(f));
        assertEquals(f + ":3: " + message, e.getMessage());
    }

    /** TLS on: the key files are loaded at startup; each problem is one line naming the key or the file. */
    @Test
    void tlsKeysAreLoadedAndCheckedAtStartup() throws Exception {
        KeyMaterial own = KeyGeneration.generate("router-a");
        Path keys = dir.resolve("tls");
        KeyFiles.write(keys, own);
        String pin = KeyGeneration.generate("router-b").fingerprint().toString();
        String tls = "gateway { servers = [\"10.1.1.2:1080\"], udp.mode = stream, upstream.tls { enabled = on, "
                + "certificate = \"" + keys.resolve("cert.pem") + "\", key = \"" + keys.resolve("key.pem") + "\", ";
        GatewaySettings s = GatewaySettings.load(file(tls + "peers = [\"" + pin + "\"] } }"));
        assertTrue(s.tls().enabled());
        assertEquals(own.fingerprint(), s.tls().own().fingerprint());
        assertEquals(Duration.ofSeconds(5), s.tls().handshakeTimeout());
        assertFalse(GatewaySettings.load(file("gateway.servers = [\"10.1.1.2:1080\"]")).tls().enabled(),
                "off by default");

        Path f = file(tls + "peers = [] } }");
        ConfigError e = assertThrows(ConfigError.class, () -> GatewaySettings.load(f));
        assertTrue(e.getMessage().contains("gateway.upstream.tls.peers") && e.getMessage().contains(f.toString()),
                e.getMessage());
        Path g = file(tls + "peers = [\"sha256:12\"] } }");
        e = assertThrows(ConfigError.class, () -> GatewaySettings.load(g));
        assertTrue(e.getMessage().contains("gateway.upstream.tls.peers'[0]"), e.getMessage());
        Path h = file(tls.replace("key.pem", "nothing.pem") + "peers = [\"" + pin + "\"] } }");
        e = assertThrows(ConfigError.class, () -> GatewaySettings.load(h));
        assertTrue(e.getMessage().contains("nothing.pem"), e.getMessage());
        Path i = file(tls.replace("udp.mode = stream", "udp.mode = associate") + "peers = [\"" + pin + "\"] } }");
        e = assertThrows(ConfigError.class, () -> GatewaySettings.load(i));
        assertTrue(e.getMessage().contains("gateway.upstream.tls.enabled")
                && e.getMessage().contains("gateway.udp.mode = stream"), e.getMessage());
    }

    @Test
    void relayKeysComeFromReferenceConf() throws Exception {
        GatewaySettings s = GatewaySettings.load(file("gateway.servers = [\"10.1.1.2:1080\"]"));
        assertEquals(Duration.ofMillis(1), s.relay().writeStallRetry());
        assertEquals(Duration.ofSeconds(10), s.relay().drainLimit());
    }

    @Test
    void theLauncherExitsWith2AndOneLineForAConfigError() throws Exception {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Path f = file("gateway.servers = []");
        int status = GatewayMain.run(new String[] {"--config", f.toString()}, System.out,
                new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(Cli.EXIT_USAGE, status);
        String message = err.toString(StandardCharsets.UTF_8);
        assertTrue(message.startsWith("gateway: ") && message.contains("gateway.servers"), message);
        assertTrue(!message.contains("\tat "), "no stack trace: " + message);
        assertEquals(Cli.EXIT_USAGE, GatewayMain.run(new String[0], System.out,
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)));
    }
}
