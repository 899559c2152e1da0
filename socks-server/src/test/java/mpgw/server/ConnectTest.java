package mpgw.server;

import static mpgw.server.Wire.bytes;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.Arrays;
import mpgw.server.SocksClient.Reply;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** CONNECT (RFC 1928 §4) to IPv4, IPv6 and names, with real replies, payload and half-close. */
class ConnectTest {
    private static TestServer server;
    private static TcpEcho echo4;
    private static TcpEcho echo6;
    private static TinyDns dns;

    @BeforeAll
    static void start() throws Exception {
        dns = new TinyDns(java.util.Map.of("echo.mpgw.test", InetAddress.getByName("127.0.0.1"),
                "echo6.mpgw.test", InetAddress.getByName("::1")));
        // Names not in /etc/hosts go to the in-test responder, never to a real name server.
        server = TestServer.start(TestServer.ALLOW_LOOPBACK + "\ndns.servers = [\"" + dns.server() + "\"]");
        echo4 = new TcpEcho("127.0.0.1");
        echo6 = new TcpEcho("::1");
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
        echo4.close();
        echo6.close();
        dns.close();
    }

    @Test
    void ipv4DestinationWithRealBoundAddress() throws Exception {
        try (SocksClient c = SocksClient.connect(server.address()).greetNoAuth()) {
            echo4.forgetClients();
            echo6.forgetClients();
            Reply reply = c.request(1, echo4.address());
            assertEquals(0, reply.rep());
            // BND.ADDR/BND.PORT is the server's outbound socket: exactly the peer the echo server saw.
            assertEquals(echo4.nextClient(), reply.bound());
            roundTrip(c, 100_000);
        }
    }

    @Test
    void ipv6Destination() throws Exception {
        try (SocksClient c = SocksClient.connect(server.address()).greetNoAuth()) {
            echo4.forgetClients();
            echo6.forgetClients();
            Reply reply = c.request(1, echo6.address());
            assertEquals(0, reply.rep());
            assertEquals(echo6.nextClient(), reply.bound());
            assertEquals(InetAddress.getByName("::1"), reply.bound().getAddress());
            roundTrip(c, 1000);
        }
    }

    @Test
    void domainDestinationResolvedFromHostsFile() throws Exception {
        try (SocksClient c = SocksClient.connect(server.address()).greetNoAuth()) {
            echo4.forgetClients();
            echo6.forgetClients();
            Reply reply = c.request(1, InetSocketAddress.createUnresolved("localhost", echo4.address().getPort()));
            assertEquals(0, reply.rep());
            assertEquals(echo4.nextClient(), reply.bound());
            roundTrip(c, 1000);
        }
    }

    @Test
    void domainDestinationResolvedByDns() throws Exception {
        int before = dns.queries.get();
        try (SocksClient c = SocksClient.connect(server.address()).greetNoAuth()) {
            echo4.forgetClients();
            Reply reply = c.request(1, InetSocketAddress.createUnresolved("echo.mpgw.test", echo4.address().getPort()));
            assertEquals(0, reply.rep());
            assertEquals(echo4.nextClient(), reply.bound());
            roundTrip(c, 1000);
        }
        assertTrue(dns.queries.get() > before, "asked the configured name server");
    }

    @Test
    void addressFamilyPreferenceIsConfigurable() throws Exception {
        InetSocketAddress v6Name = InetSocketAddress.createUnresolved("echo6.mpgw.test", echo6.address().getPort());
        try (SocksClient c = SocksClient.connect(server.address()).greetNoAuth()) {
            // ipv4-preferred (the default) falls back to the AAAA record when there is no A record.
            echo6.forgetClients();
            Reply reply = c.request(1, v6Name);
            assertEquals(0, reply.rep());
            assertEquals(echo6.nextClient(), reply.bound());
        }
        try (TestServer v4only = TestServer.start(TestServer.ALLOW_LOOPBACK + "\ndns.prefer = ipv4-only"
                + "\ndns.servers = [\"" + dns.server() + "\"]");
             SocksClient c = SocksClient.connect(v4only.address()).greetNoAuth()) {
            assertEquals(4, c.request(1, v6Name).rep());
        }
    }

    @Test
    void unknownNameIsHostUnreachable() throws Exception {
        try (SocksClient c = SocksClient.connect(server.address()).greetNoAuth()) {
            assertEquals(4, c.request(1, InetSocketAddress.createUnresolved("no-such-host.mpgw.test", 80)).rep());
            c.assertClosedWithin(Bounds.AT_ONCE_MS, "close after REP 04");
        }
    }

    @Test
    void closedPortIsConnectionRefused() throws Exception {
        int closed;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            closed = s.getLocalPort();
        }
        try (SocksClient c = SocksClient.connect(server.address()).greetNoAuth()) {
            assertEquals(5, c.request(1, new InetSocketAddress("127.0.0.1", closed)).rep());
            c.assertClosedWithin(Bounds.AT_ONCE_MS, "close after REP 05");
        }
    }

    @Test
    void defaultRulesDenyLoopbackWith02() throws Exception {
        try (TestServer defaults = TestServer.start("");
             SocksClient c = SocksClient.connect(defaults.address()).greetNoAuth()) {
            assertEquals(2, c.request(1, echo4.address()).rep());
            c.assertClosedWithin(Bounds.AT_ONCE_MS, "close after REP 02");
        }
        try (TestServer defaults = TestServer.start("");
             SocksClient c = SocksClient.connect(defaults.address()).greetNoAuth()) {
            // A name must not smuggle a denied address: rules apply after resolution.
            assertEquals(2, c.request(1, InetSocketAddress.createUnresolved("localhost", echo4.address().getPort())).rep());
        }
    }

    @Test
    void portRulesDenyWith02() throws Exception {
        int port = echo4.address().getPort();
        try (TestServer ruled = TestServer.start(TestServer.ALLOW_LOOPBACK + "\ndestinations.deny-ports = [\""
                + port + "\"]"); SocksClient c = SocksClient.connect(ruled.address()).greetNoAuth()) {
            assertEquals(2, c.request(1, echo4.address()).rep());
        }
        try (TestServer ruled = TestServer.start(TestServer.ALLOW_LOOPBACK + "\ndestinations.allow-ports = [\"1-"
                + (port - 1) + "\"]"); SocksClient c = SocksClient.connect(ruled.address()).greetNoAuth()) {
            assertEquals(2, c.request(1, echo4.address()).rep());
        }
    }

    @Test
    void halfClosePropagatesBothWays() throws Exception {
        try (SocksClient c = SocksClient.connect(server.address()).greetNoAuth()) {
            assertEquals(0, c.request(1, echo4.address()).rep());
            c.send("last words".getBytes());
            c.shutdownOutput();
            // The echo server sees our EOF only through the relay, and answers with the echo and its own EOF.
            assertArrayEquals("last words".getBytes(), c.read(10));
            c.assertClosedWithin(Bounds.AT_ONCE_MS, "the destination's EOF after the echo");
        }
    }

    @Test
    void eofPipelinedBehindTheRequestStillReachesTheDestination() throws Exception {
        try (SocksClient c = SocksClient.connect(server.address())) {
            c.send(Wire.greeting(0), Wire.request(1, echo4.address()), "bye".getBytes());
            c.shutdownOutput();
            assertArrayEquals(bytes(5, 0), c.read(2));
            assertEquals(0, c.readReply().rep());
            assertArrayEquals("bye".getBytes(), c.read(3));
            c.assertClosedWithin(Bounds.AT_ONCE_MS, "the destination's EOF after the pipelined EOF");
        }
    }

    private static void roundTrip(SocksClient c, int size) throws Exception {
        byte[] payload = new byte[size];
        Arrays.fill(payload, (byte) 'x');
        payload[size - 1] = '!';
        c.send(payload);
        assertArrayEquals(payload, c.read(size));
    }
}
