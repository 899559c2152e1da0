package mpgw.gateway.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;
import mpgw.testbed.Daemon;
import mpgw.testbed.DanteServer;
import mpgw.testbed.SocksServerProcess;
import mpgw.testbed.SourceTree;
import mpgw.testbed.Teardown;
import mpgw.testbed.Testbed;
import mpgw.tls.KeyFiles;
import mpgw.tls.KeyGeneration;
import mpgw.tls.KeyMaterial;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code mpgw check}'s per-server lines (issue 19, and the TLS line of issue 14) against real servers on router B
 * of the 2-link testbed, each reached over MPTCP from router A as the gateway reaches it: mpgw's socks-server in
 * clear (with fast open), with TLS pinning this gateway and with TLS pinning someone else; microsocks (made MPTCP
 * with {@code mptcpize run}, as in {@link PipeliningTest}), which drops pipelined bytes; and Dante (the same
 * fixture as PipeliningTest), which reads them and relays UDP ASSOCIATE. Each run asserts the lines printed and
 * the exit status.
 */
class CheckServersTest {
    private static final int MPGW_PORT = 1090;
    private static final int TLS_PORT = 1091;
    private static final int TLS_NOT_PINNING_PORT = 1092;
    private static final int MICROSOCKS_PORT = 1085;
    private static final int DANTE_PORT = 1080;
    private static final int NOTHING_PORT = 1099;

    @TempDir
    static Path work;
    private static Testbed tb;
    private static final Teardown services = new Teardown();
    private static String srv;
    private static Keys routerA;
    private static Keys routerB;
    private static Keys stranger;

    /** A key pair written as 'mpgw keys' writes it. */
    private record Keys(KeyMaterial material, Path dir) {
        static Keys make(String name) throws Exception {
            KeyMaterial k = KeyGeneration.generate(name);
            Path dir = work.resolve("keys-" + name);
            KeyFiles.write(dir, k);
            return new Keys(k, dir);
        }

        String fingerprint() {
            return material.fingerprint().toString();
        }

        String files() {
            return "certificate = \"%s\", key = \"%s\"".formatted(dir.resolve(KeyFiles.CERT_FILE),
                    dir.resolve(KeyFiles.KEY_FILE));
        }
    }

    @BeforeAll
    static void testbed() throws Exception {
        routerA = Keys.make("router-a");
        routerB = Keys.make("router-b");
        stranger = Keys.make("another-gateway");
        tb = Testbed.up("mpgwchk-", "--links", "2", "--rate", "20mbit");
        services.add(tb);
        srv = tb.get("SRV_IP");
        // What a good router A has, so that only the servers decide the check's status: interception rules, and
        // router B announcing both links (two subflows per connection).
        tb.exec(tb.gw(), "bash " + SourceTree.script("iptables/mpgw-rules") + " install --no-udp --lan "
                + tb.get("LAN_CIDR"));
        tb.exec(tb.srv(), "bash " + SourceTree.script("iptables/mpgw-endpoints") + " --role server --wan wan1"
                + " --wan wan2");
        tb.exec(tb.srv(), "sysctl -qw net.ipv4.tcp_fastopen=3"); // mpgw's server.fast-open needs the server bit
        services.add(SocksServerProcess.start(tb.srv(), server(MPGW_PORT, "fast-open = 256"), work));
        services.add(SocksServerProcess.start(tb.srv(), server(TLS_PORT, tls(routerA)), work));
        services.add(SocksServerProcess.start(tb.srv(), server(TLS_NOT_PINNING_PORT, tls(stranger)), work));
        services.add(Daemon.startIn(tb.srv(), "microsocks", List.of("mptcpize", "run", "microsocks",
                "-i", "0.0.0.0", "-p", String.valueOf(MICROSOCKS_PORT))));
        services.add(DanteServer.start(tb.srv(), DANTE_PORT, "out0", null, work.resolve("dante")));
        awaitListening(MICROSOCKS_PORT);
    }

    @AfterAll
    static void teardown() {
        services.close();
    }

    private static void awaitListening(int port) throws Exception {
        for (int i = 0; i < 100; i++) {
            if (tb.exec(tb.srv(), "ss -Hltn 'sport = :" + port + "'").contains(":" + port)) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("nothing listens on port " + port + " in router B");
    }

    /** Router B's TLS with its key, pinning {@code pinned}. */
    private static String tls(Keys pinned) {
        return "tls { enabled = on, %s, peers = [\"%s\"] }".formatted(routerB.files(), pinned.fingerprint());
    }

    private static String server(int port, String extra) {
        return """
                server {
                  listen = ["0.0.0.0:%d"]
                  mptcp = required
                  metrics.listen = ""
                  shutdown-grace = 1s
                  %s
                }
                """.formatted(port, extra);
    }

    /** What one {@code mpgw check} run printed, and its exit status. */
    private record Run(int exit, String out) {
        /** The one line for {@code check} of {@code port}, which must exist. */
        String line(String check, int port) {
            String prefix = check + " " + srv + ":" + port + ":";
            List<String> lines = out.lines().filter(l -> l.length() > 5 && l.substring(5).startsWith(prefix))
                    .toList();
            assertEquals(1, lines.size(), "one line for " + prefix + " in:\n" + out);
            return lines.get(0);
        }

        void noLine(String check, int port) {
            assertFalse(out.contains(" " + check + " " + srv + ":" + port + ":"), "no " + check + " line:\n" + out);
        }
    }

    /** Runs {@code mpgw check} on router A for router B's {@code port}, with these lines in the gateway block. */
    private static Run check(int port, String extra) throws Exception {
        Path config = work.resolve("check-" + port + "-" + Integer.toHexString(extra.hashCode()) + ".conf");
        Files.writeString(config, """
                gateway {
                  servers = ["%s:%d"]
                  metrics.listen = ""
                  %s
                }
                """.formatted(srv, port, extra));
        try (Daemon d = Daemon.startIn(tb.gw(), "check", Daemon.java("mpgw.gateway.check.CheckMain", "--config",
                config.toString()))) {
            int exit = d.awaitExit(Duration.ofSeconds(90));
            System.out.println("check of port " + port + " with [" + extra.replace('\n', ';') + "], exit " + exit
                    + ":\n" + d.log());
            return new Run(exit, d.log());
        }
    }

    private static void assertStarts(String prefix, String line) {
        assertTrue(line.startsWith(prefix), "expected '" + prefix + "...', got: " + line);
    }

    @Test
    void mpgwsServerInClearPassesEveryCheckAndGetsPipeliningFastOpenAndStream() throws Exception {
        Run r = check(MPGW_PORT, "upstream.fast-open = on");
        assertEquals(0, r.exit(), r.out());
        r.noLine("tls", MPGW_PORT);
        assertStarts("OK   socks5 " + srv + ":" + MPGW_PORT + ": answers SOCKS5 (no authentication)",
                r.line("socks5", MPGW_PORT));
        assertStarts("OK   mptcp " + srv + ":" + MPGW_PORT + ": MPTCP with 2 subflows", r.line("mptcp", MPGW_PORT));
        // Port 0 of router B's own address: mpgw's server refuses it without connecting (REP 02).
        assertTrue(Pattern.compile("^OK   pipelining \\S+: reads a pipelined request \\(greeting, request and payload"
                + " in one write\\): command reply in \\d+ ms, status=FORBIDDEN\\S* \\(reply 0x02\\)$")
                .matcher(r.line("pipelining", MPGW_PORT)).matches(), r.line("pipelining", MPGW_PORT));
        assertStarts("OK   fast-open " + srv + ":" + MPGW_PORT + ": the server acknowledged the greeting in the SYN",
                r.line("fast-open", MPGW_PORT));
        assertEquals("OK   udp " + srv + ":" + MPGW_PORT + ": FWD UDP granted, UDP ASSOCIATE granted",
                r.line("udp", MPGW_PORT));
        assertEquals("OK   keys " + srv + ":" + MPGW_PORT + ": gateway.socks.pipelined = auto, gateway.udp.mode ="
                + " stream, gateway.upstream.fast-open = on (as configured)", r.line("keys", MPGW_PORT));
    }

    @Test
    void microsocksDropsPipelinedBytes() throws Exception {
        // auto copes with it: the check says so, names the keys that fit, and passes.
        Run auto = check(MICROSOCKS_PORT, "udp.enabled = off");
        assertEquals(0, auto.exit(), auto.out());
        assertStarts("OK   mptcp " + srv + ":" + MICROSOCKS_PORT + ": MPTCP with 2 subflows",
                auto.line("mptcp", MICROSOCKS_PORT));
        String pipelining = auto.line("pipelining", MICROSOCKS_PORT);
        assertTrue(Pattern.compile("^OK   pipelining \\S+: answered the method selection but not the pipelined"
                + " request within \\d+ ms: the server drops pipelined bytes \\(microsocks does\\);"
                + " gateway.socks.pipelined = auto falls back for it \\(after one race per 1h\\); off spares the first"
                + " flow that race$").matcher(pipelining).matches(), pipelining);
        assertStarts("OK   fast-open " + srv + ":" + MICROSOCKS_PORT + ": the server took no data in the SYN",
                auto.line("fast-open", MICROSOCKS_PORT));
        assertEquals("OK   udp " + srv + ":" + MICROSOCKS_PORT + ": FWD UDP refused (status=COMMAND_UNSUPPORTED(7)"
                + " (reply 0x07)), UDP ASSOCIATE refused (status=COMMAND_UNSUPPORTED(7) (reply 0x07))",
                auto.line("udp", MICROSOCKS_PORT));
        assertEquals("OK   keys " + srv + ":" + MICROSOCKS_PORT + ": gateway.socks.pipelined = off,"
                + " gateway.udp.enabled = off, gateway.upstream.fast-open = off (configured:"
                + " gateway.socks.pipelined = auto)", auto.line("keys", MICROSOCKS_PORT));

        // on would hang every flow until the handshake timeout: a failure, with the fix.
        Run on = check(MICROSOCKS_PORT, "udp.enabled = off\nsocks.pipelined = on");
        assertEquals(1, on.exit(), on.out());
        String failed = on.line("pipelining", MICROSOCKS_PORT);
        assertStarts("FAIL pipelining " + srv + ":" + MICROSOCKS_PORT + ": answered the method selection but not the"
                + " pipelined request within ", failed);
        assertTrue(failed.endsWith("; with gateway.socks.pipelined = on every flow to it waits for the handshake"
                + " timeout; fix: gateway.socks.pipelined = off (or auto)"), failed);
        assertTrue(on.out().contains("1 failed"), on.out());

        // The UDP carrier it cannot serve fails too, naming the key that fits.
        Run udp2 = check(MICROSOCKS_PORT, "socks.pipelined = off");
        assertEquals(1, udp2.exit(), udp2.out());
        assertTrue(udp2.line("udp", MICROSOCKS_PORT).endsWith("gateway.udp.mode = stream needs the first; fix:"
                + " gateway.udp.enabled = off"), udp2.line("udp", MICROSOCKS_PORT));
    }

    @Test
    void danteReadsPipelinedRequestsAndGrantsUdpAssociate() throws Exception {
        Run r = check(DANTE_PORT, "udp.mode = associate");
        assertEquals(0, r.exit(), r.out());
        assertStarts("OK   mptcp " + srv + ":" + DANTE_PORT + ": MPTCP with 2 subflows", r.line("mptcp", DANTE_PORT));
        assertStarts("OK   pipelining " + srv + ":" + DANTE_PORT + ": reads a pipelined request",
                r.line("pipelining", DANTE_PORT));
        String udp = r.line("udp", DANTE_PORT);
        // Dante closes the connection on a command it does not know.
        assertEquals("OK   udp " + srv + ":" + DANTE_PORT + ": FWD UDP no reply (server closed the connection before"
                + " the command reply), UDP ASSOCIATE granted", udp);
        assertEquals("OK   keys " + srv + ":" + DANTE_PORT + ": gateway.socks.pipelined = auto, gateway.udp.mode ="
                + " associate, gateway.upstream.fast-open = off (as configured)", r.line("keys", DANTE_PORT));
    }

    private static String gatewayTls(Keys pinned) {
        return "upstream.tls { enabled = on, %s, peers = [\"%s\"] }".formatted(routerA.files(), pinned.fingerprint());
    }

    @Test
    void tlsWithBothSidesPinnedShowsTheServersFingerprint() throws Exception {
        Run r = check(TLS_PORT, gatewayTls(routerB));
        assertEquals(0, r.exit(), r.out());
        String tls = r.line("tls", TLS_PORT);
        assertTrue(Pattern.compile("^OK   tls \\S+: tls=ok in \\d+ ms, server " + Pattern.quote(routerB.fingerprint())
                + ", pinned in gateway.upstream.tls.peers; the server accepts this gateway \\("
                + Pattern.quote(routerA.fingerprint().substring(0, "sha256:".length() + 16)) + "\\)$")
                .matcher(tls).matches(), tls);
        assertStarts("OK   socks5 " + srv + ":" + TLS_PORT + ": answers SOCKS5", r.line("socks5", TLS_PORT));
        assertStarts("OK   mptcp " + srv + ":" + TLS_PORT + ": MPTCP with 2 subflows", r.line("mptcp", TLS_PORT));
        assertStarts("OK   pipelining " + srv + ":" + TLS_PORT + ": reads a pipelined request",
                r.line("pipelining", TLS_PORT));
        r.noLine("fast-open", TLS_PORT); // not used with TLS
        // The server refuses UDP ASSOCIATE on a TLS listener (its datagrams would go in clear).
        String udp = r.line("udp", TLS_PORT);
        assertStarts("OK   udp " + srv + ":" + TLS_PORT + ": FWD UDP granted, UDP ASSOCIATE refused (", udp);
        assertEquals("OK   keys " + srv + ":" + TLS_PORT + ": gateway.socks.pipelined = auto, gateway.udp.mode ="
                + " stream (as configured)", r.line("keys", TLS_PORT));
    }

    @Test
    void tlsFailuresEndTheServersLinesAndFailTheCheck() throws Exception {
        // Router B pins another gateway: TLS ends ok on this side, then router B closes: said as the flow line does.
        Run notPinned = check(TLS_NOT_PINNING_PORT, gatewayTls(routerB));
        assertEquals(1, notPinned.exit(), notPinned.out());
        String line = notPinned.line("tls", TLS_NOT_PINNING_PORT);
        assertStarts("FAIL tls " + srv + ":" + TLS_NOT_PINNING_PORT + ": tls=ok (server " + routerB.fingerprint()
                + ", pinned in gateway.upstream.tls.peers), then ", line);
        assertTrue(line.endsWith(": router B closes a gateway whose certificate it does not pin; fix: add "
                + routerA.fingerprint() + " (this gateway's certificate) to server.tls.peers on router B"), line);
        notPinned.noLine("socks5", TLS_NOT_PINNING_PORT);
        notPinned.noLine("pipelining", TLS_NOT_PINNING_PORT);

        // This gateway pins another server: the fingerprint router B showed is printed in full, to pin if it is B's.
        Run unknown = check(TLS_PORT, gatewayTls(stranger));
        assertEquals(1, unknown.exit(), unknown.out());
        assertEquals("FAIL tls " + srv + ":" + TLS_PORT + ": tls=unknown-peer: the server showed "
                + routerB.fingerprint() + ", which is not pinned in gateway.upstream.tls.peers; fix: if that is"
                + " router B's certificate (the line 'mpgw keys' printed there), add it to"
                + " gateway.upstream.tls.peers", unknown.line("tls", TLS_PORT));
        unknown.noLine("socks5", TLS_PORT);

        // A plain listener for a gateway with TLS on: no TLS answer.
        Run plain = check(MPGW_PORT, gatewayTls(routerB));
        assertEquals(1, plain.exit(), plain.out());
        assertStarts("FAIL tls " + srv + ":" + MPGW_PORT + ": tls=", plain.line("tls", MPGW_PORT));
    }

    @Test
    void aServerThatDoesNotAnswerFailsTheCheck() throws Exception {
        Run r = check(NOTHING_PORT, "");
        assertEquals(1, r.exit(), r.out());
        assertStarts("FAIL socks5 " + srv + ":" + NOTHING_PORT + ": cannot connect: ", r.line("socks5", NOTHING_PORT));
        r.noLine("pipelining", NOTHING_PORT);
    }
}
