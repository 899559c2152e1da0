package mpgw.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.handler.ssl.JdkSslContext;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import mpgw.config.ConfigError;
import mpgw.config.ConfigFiles;
import mpgw.testing.Sh;
import mpgw.tls.HandshakeOutcome;
import mpgw.tls.PinnedPeers;
import mpgw.tls.PinningTrustManager;
import mpgw.tls.TlsContexts;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code server.tls} on loopback: every carrier over TLS (CONNECT, FWD UDP, BIND), pinning and rotation, a plain
 * client and bad TLS input turned away cleanly and counted, UDP ASSOCIATE refused unless allowed, config errors.
 * The client is the JDK's SSLSocket; the server runs BoringSSL (the default) unless a test says otherwise.
 */
class TlsServerTest {
    private static final InetSocketAddress ANY = new InetSocketAddress("0.0.0.0", 0);

    private static TlsKeys serverKeys;
    private static TlsKeys gateway;
    private static TlsKeys stranger;
    private static TestServer server;
    private static TcpEcho echo;
    private static UdpEcho udpEcho;

    @BeforeAll
    static void start() throws Exception {
        serverKeys = TlsKeys.make("router-b");
        gateway = TlsKeys.make("router-a");
        stranger = TlsKeys.make("stranger");
        server = TestServer.start(TestServer.ALLOW_LOOPBACK + serverKeys.serverConfig("openssl", "", gateway));
        echo = new TcpEcho("127.0.0.1");
        udpEcho = new UdpEcho("127.0.0.1");
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
        echo.close();
        udpEcho.close();
    }

    @Test
    void connectDeliversMegabytesIntactAndTheLineNamesThePeer() throws Exception {
        byte[] payload = new byte[4 * 1024 * 1024];
        new Random(14).nextBytes(payload);
        try (LogCapture log = LogCapture.open();
             SocksClient c = gateway.connect(server.address(), serverKeys).greetNoAuth()) {
            assertEquals(0, c.request(1, echo.address()).rep());
            CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                try {
                    c.send(payload);
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            c.socket.setSoTimeout(20_000);
            byte[] back = c.read(payload.length);
            writer.join();
            assertArrayEquals(sha256(payload), sha256(back));
            c.close();
            awaitLine(log, "outcome=relayed");
            String line = log.messages().stream().filter(m -> m.contains("outcome=relayed")).findFirst().orElseThrow();
            assertTrue(line.contains(" peer=" + TlsListener.shortForm(gateway.keys.fingerprint()) + " "), line);
            assertTrue(line.matches(".* peer=sha256:[0-9a-f]{16} .*"), line);
            assertEquals(List.of(), log.problems());
        }
        assertTrue(server.events.tls(HandshakeOutcome.OK) >= 1);
    }

    @Test
    void fwdUdpRidesTheTlsStream() throws Exception {
        try (SocksClient c = gateway.connect(server.address(), serverKeys).greetNoAuth()) {
            assertEquals(0, c.request(5, ANY).rep());
            c.send(Wire.fwdUdpFrame(udpEcho.address(), "over tls".getBytes()));
            byte[] expected = Wire.fwdUdpFrame(udpEcho.address(), "over tls".getBytes());
            assertArrayEquals(expected, c.read(expected.length));
        }
    }

    @Test
    void bindRidesTheTlsStream() throws Exception {
        try (SocksClient c = gateway.connect(server.address(), serverKeys).greetNoAuth()) {
            SocksClient.Reply first = c.request(2, new InetSocketAddress("127.0.0.1", 0));
            assertEquals(0, first.rep());
            try (Socket peer = new Socket()) {
                peer.setSoTimeout(5000);
                peer.connect(first.bound(), 5000);
                assertEquals(0, c.readReply().rep());
                peer.getOutputStream().write("from peer".getBytes());
                assertArrayEquals("from peer".getBytes(), c.read(9));
                c.send("from client".getBytes());
                assertArrayEquals("from client".getBytes(), peer.getInputStream().readNBytes(11));
            }
        }
    }

    @Test
    void associateIsRefusedOnATlsListener() throws Exception {
        int before = server.events.drops(Drop.ASSOCIATE_ON_TLS);
        try (SocksClient c = gateway.connect(server.address(), serverKeys).greetNoAuth()) {
            assertEquals(7, c.request(3, ANY).rep(), "command not supported");
            assertTrue(c.closedByServer());
        }
        assertEquals(before + 1, server.events.drops(Drop.ASSOCIATE_ON_TLS));
    }

    @Test
    void associateIsServedWithAllowAssociate() throws Exception {
        try (TestServer allowing = TestServer.start(TestServer.ALLOW_LOOPBACK
                + serverKeys.serverConfig("jdk", "allow-associate = on", gateway));
             SocksClient c = gateway.connect(allowing.address(), serverKeys).greetNoAuth()) {
            SocksClient.Reply r = c.request(3, ANY);
            assertEquals(0, r.rep());
            assertEquals(0, allowing.events.drops(Drop.ASSOCIATE_ON_TLS));
        }
    }

    @Test
    void anUnknownClientCertificateIsClosedAndCounted() throws Exception {
        int before = server.events.tls(HandshakeOutcome.UNKNOWN_PEER);
        try (LogCapture log = LogCapture.open()) {
            // TLS 1.3: the client's handshake ends before the server has judged its certificate; the refusal
            // arrives as an alert or a close on the first read.
            assertThrows(IOException.class, () -> {
                try (SocksClient c = stranger.connect(server.address(), serverKeys)) {
                    c.greetNoAuth();
                }
            });
            PolicyTest.awaitCount(() -> server.events.tls(HandshakeOutcome.UNKNOWN_PEER), before + 1);
            awaitLine(log, "tls unknown-peer");
            String line = log.messages().stream().filter(m -> m.contains("tls unknown-peer")).findFirst()
                    .orElseThrow();
            assertTrue(line.contains("peer=" + stranger.fingerprint()), "the refused fingerprint in full: " + line);
            assertTrue(line.contains("outcome=handshake-failed"), line);
            assertEquals(List.of(), log.problems());
        }
    }

    /** Two pinned keys both work; after a restart with only the new one pinned, the old one is refused. */
    @Test
    void rotationAcrossARestart() throws Exception {
        TlsKeys oldKey = TlsKeys.make("router-a-old");
        TlsKeys newKey = TlsKeys.make("router-a-new");
        for (String provider : List.of("openssl", "jdk")) {
            try (TestServer both = TestServer.start(TestServer.ALLOW_LOOPBACK
                    + serverKeys.serverConfig(provider, "", oldKey, newKey))) {
                for (TlsKeys k : List.of(oldKey, newKey)) {
                    try (SocksClient c = k.connect(both.address(), serverKeys).greetNoAuth()) {
                        assertEquals(0, c.request(1, echo.address()).rep());
                    }
                }
                assertEquals(2, both.events.tls(HandshakeOutcome.OK));
            }
            try (TestServer onlyNew = TestServer.start(TestServer.ALLOW_LOOPBACK
                    + serverKeys.serverConfig(provider, "", newKey))) {
                assertThrows(IOException.class, () -> {
                    try (SocksClient c = oldKey.connect(onlyNew.address(), serverKeys)) {
                        c.greetNoAuth();
                    }
                }, provider);
                PolicyTest.awaitCount(() -> onlyNew.events.tls(HandshakeOutcome.UNKNOWN_PEER), 1);
                try (SocksClient c = newKey.connect(onlyNew.address(), serverKeys).greetNoAuth()) {
                    assertEquals(0, c.request(1, echo.address()).rep());
                }
            }
        }
    }

    /** N plain SOCKS5 clients from one address: each closed after its greeting, counted, one log line. */
    @Test
    void plainClientsAreClosedCountedAndLoggedOncePerSource() throws Exception {
        try (TestServer fresh = TestServer.start(TestServer.ALLOW_LOOPBACK
                + serverKeys.serverConfig("openssl", "", gateway));
             LogCapture log = LogCapture.open()) {
            int n = 20;
            for (int i = 0; i < n; i++) {
                try (SocksClient c = SocksClient.connect(fresh.address())) {
                    c.send(Wire.greeting(0));
                    assertTrue(c.closedByServer());
                }
            }
            PolicyTest.awaitCount(() -> fresh.events.tls(HandshakeOutcome.PLAINTEXT_CLIENT), n);
            Thread.sleep(100);
            List<String> lines = log.messages().stream().filter(m -> m.contains("tls plaintext-client")).toList();
            assertEquals(1, lines.size(), lines.toString());
            assertTrue(lines.get(0).contains("first byte 0x05"), lines.get(0));
            assertEquals(List.of(), log.problems());
            try (SocksClient c = gateway.connect(fresh.address(), serverKeys).greetNoAuth()) {
                assertEquals(0, c.request(1, echo.address()).rep(), "still serving");
            }
        }
    }

    @Test
    void curlWithoutTlsFailsCleanly() throws Exception {
        int before = server.events.tls(HandshakeOutcome.PLAINTEXT_CLIENT);
        try (LogCapture log = LogCapture.open()) {
            Sh.Result r = Sh.run(List.of("curl", "--silent", "--show-error", "--max-time", "10", "--socks5",
                    "127.0.0.1:" + server.address().getPort(), "http://127.0.0.1:9/"));
            assertNotEquals(0, r.exitCode(), r.output());
            assertTrue(r.output().startsWith("curl:"), r.output());
            PolicyTest.awaitCount(() -> server.events.tls(HandshakeOutcome.PLAINTEXT_CLIENT), before + 1);
            assertEquals(List.of(), log.problems());
        }
        try (SocksClient c = gateway.connect(server.address(), serverKeys).greetNoAuth()) {
            assertEquals(0, c.request(1, echo.address()).rep(), "still serving");
        }
    }

    /** Truncated and garbage records, a TLS 1.2-only ClientHello, a huge chain: closed, counted, no stack trace. */
    @Test
    void badTlsInputEndsCleanlyAndCounted() throws Exception {
        try (TestServer fresh = TestServer.start(TestServer.ALLOW_LOOPBACK
                + serverKeys.serverConfig("openssl", "", gateway));
             LogCapture log = LogCapture.open()) {
            byte[] truncated = new byte[15];
            System.arraycopy(Wire.bytes(0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc), 0, truncated, 0, 9);
            assertClosedAfter(fresh, truncated, true);
            Random random = new Random(14);
            byte[] garbage = new byte[600];
            random.nextBytes(garbage);
            garbage[0] = 0x16;
            garbage[1] = 0x03;
            garbage[2] = 0x03;
            assertClosedAfter(fresh, garbage, false);
            PolicyTest.awaitCount(() -> fresh.events.tls(HandshakeOutcome.OTHER), 2);

            SSLContext tls12 = SSLContext.getInstance("TLSv1.2");
            tls12.init(null, new TrustManager[] {new TrustAll()}, null);
            try (SSLSocket s = (SSLSocket) tls12.getSocketFactory().createSocket("127.0.0.1",
                    fresh.address().getPort())) {
                s.setEnabledProtocols(new String[] {"TLSv1.2"});
                s.setSoTimeout(5000);
                assertThrows(IOException.class, s::startHandshake);
            }
            PolicyTest.awaitCount(() -> fresh.events.tls(HandshakeOutcome.PROTOCOL_VERSION), 1);

            X509Certificate[] chain = hugeChain();
            SSLContext huge = ((JdkSslContext) io.netty.handler.ssl.SslContextBuilder.forClient()
                    .keyManager(hugeChainKey, chain)
                    .trustManager(new PinningTrustManager(PinnedPeers.of(List.of(serverKeys.keys.fingerprint()))))
                    .endpointIdentificationAlgorithm(null).protocols(TlsContexts.TLS13)
                    .sslProvider(io.netty.handler.ssl.SslProvider.JDK).build()).context();
            try (SSLSocket s = (SSLSocket) huge.getSocketFactory().createSocket("127.0.0.1",
                    fresh.address().getPort())) {
                s.setSoTimeout(5000);
                s.setEnabledProtocols(new String[] {TlsContexts.TLS13});
                assertThrows(IOException.class, () -> {
                    s.startHandshake();
                    s.getOutputStream().write(Wire.greeting(0));
                    s.getOutputStream().flush();
                    if (s.getInputStream().read() == -1) {
                        throw new IOException("closed");
                    }
                });
            }
            // BoringSSL reads the 69 KB message (its limit is 100 KB) and refuses the unpinned leaf.
            PolicyTest.awaitCount(() -> fresh.events.tls(HandshakeOutcome.UNKNOWN_PEER), 1);
            Thread.sleep(100);
            assertEquals(List.of(), log.problems());
            assertEquals(0, fresh.events.tls(HandshakeOutcome.OK));
            try (SocksClient c = gateway.connect(fresh.address(), serverKeys).greetNoAuth()) {
                assertEquals(0, c.request(1, echo.address()).rep(), "still serving");
            }
        }
    }

    @Test
    void aPlainListenerBesideTheTlsOneServesPlainClients() throws Exception {
        try (TestServer both = TestServer.start(TestServer.ALLOW_LOOPBACK
                + serverKeys.serverConfig("openssl", "plain-listen = [\"127.0.0.1:0\"]", gateway))) {
            List<InetSocketAddress> bound = both.server.boundAddresses();
            assertEquals(2, bound.size(), bound.toString());
            try (SocksClient c = SocksClient.connect(bound.get(1)).greetNoAuth()) {
                assertEquals(0, c.request(1, echo.address()).rep());
            }
            try (SocksClient c = SocksClient.connect(bound.get(0))) {
                c.send(Wire.greeting(0));
                assertTrue(c.closedByServer(), "the listen address stays TLS-only");
            }
            try (SocksClient c = gateway.connect(bound.get(0), serverKeys).greetNoAuth()) {
                assertEquals(0, c.request(1, echo.address()).rep());
            }
        }
    }

    @Test
    void configErrorsNameTheKeyAndFile() throws Exception {
        ConfigError e = assertThrows(ConfigError.class, () -> settings(
                "tls { enabled = on, certificate = \"/nonexistent/cert.pem\", key = \"/nonexistent/key.pem\","
                        + " peers = [\"" + gateway.fingerprint() + "\"] }"));
        assertTrue(e.getMessage().contains("/nonexistent/cert.pem"), e.getMessage());
        e = assertThrows(ConfigError.class, () -> settings(serverKeys.serverConfig("openssl", "", new TlsKeys[0])));
        assertTrue(e.getMessage().contains("server.tls.peers"), e.getMessage());
        assertEquals(java.time.Duration.ofSeconds(2), settings("timeouts.handshake = 2s\ntls.handshake-timeout = 3s")
                .tls().handshakeTimeout(), "cut to timeouts.handshake");
        e = assertThrows(ConfigError.class, () -> settings("tls { enabled = on, peers = [\"" + gateway.fingerprint()
                + "\"] }"));
        assertTrue(e.getMessage().contains("server.tls.certificate"), e.getMessage());
        e = assertThrows(ConfigError.class, () -> settings("tls.provider = libressl"));
        assertTrue(e.getMessage().contains("server.tls.provider"), e.getMessage());
        e = assertThrows(ConfigError.class, () -> settings("tls.plain-listen = [\"127.0.0.1:1080\"]\n"
                + "listen = [\"127.0.0.1:1080\"]"));
        assertTrue(e.getMessage().contains("server.tls.plain-listen"), e.getMessage());
        e = assertThrows(ConfigError.class, () -> settings("tls.enable = on"));
        assertTrue(e.getMessage().contains("tls.enable"), e.getMessage());
        e = assertThrows(ConfigError.class, () -> settings("tls.key-exchange = kyber"));
        assertTrue(e.getMessage().contains("server.tls.key-exchange") && e.getMessage().contains("x25519 or hybrid"),
                e.getMessage());
        e = assertThrows(ConfigError.class, () -> settings("tls { provider = jdk, key-exchange = hybrid }"));
        assertTrue(e.getMessage().contains("needs provider = openssl"), e.getMessage());
        assertEquals(mpgw.tls.KeyExchange.X25519, settings("").tls().keyExchange(), "the default");
        assertEquals(mpgw.tls.KeyExchange.HYBRID, settings("tls.key-exchange = hybrid").tls().keyExchange());
    }

    private static ServerSettings settings(String hocon) {
        return ServerSettings.from(ConfigFiles.fromString(hocon, ServerSettings.ROOT));
    }

    private static void assertClosedAfter(TestServer s, byte[] bytes, boolean finAfter) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", s.address().getPort())) {
            socket.setSoTimeout(5000);
            OutputStream out = socket.getOutputStream();
            out.write(bytes);
            out.flush();
            if (finAfter) {
                socket.shutdownOutput();
            }
            InputStream in = socket.getInputStream();
            try {
                while (in.read() != -1) {
                    // an alert may come first
                }
            } catch (java.net.SocketException reset) {
                // closed with our bytes unread
            }
        }
    }

    private static java.security.PrivateKey hugeChainKey;

    /** 250 linked certificates (a 69 KB Certificate message); {@link #hugeChainKey} is the leaf's key. */
    private static X509Certificate[] hugeChain() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(256);
        int n = 250;
        KeyPair[] keys = new KeyPair[n];
        for (int i = 0; i < n; i++) {
            keys[i] = generator.generateKeyPair();
        }
        List<X509Certificate> chain = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int issuer = Math.min(i + 1, n - 1);
            JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(new X500Name("CN=c" + issuer),
                    BigInteger.valueOf(i + 1), new Date(0), new Date(253402300799000L), new X500Name("CN=c" + i),
                    keys[i].getPublic());
            chain.add(new JcaX509CertificateConverter().getCertificate(b.build(
                    new JcaContentSignerBuilder("SHA256withECDSA").build(keys[issuer].getPrivate()))));
        }
        hugeChainKey = keys[0].getPrivate();
        return chain.toArray(new X509Certificate[0]);
    }

    private static byte[] sha256(byte[] b) throws Exception {
        return MessageDigest.getInstance("SHA-256").digest(b);
    }

    private static void awaitLine(LogCapture log, String part) throws InterruptedException {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (log.messages().stream().noneMatch(m -> m.contains(part)) && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
    }

    private static final class TrustAll implements X509TrustManager {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) {
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }
}
