package mpgw.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.util.Arrays;
import mpgw.server.SocksClient.Reply;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** UDP ASSOCIATE (RFC 1928 §7) with real datagram sockets on loopback. */
class UdpAssociateTest {
    private static final InetSocketAddress ANY = new InetSocketAddress("0.0.0.0", 0);
    private static TestServer server;
    private static UdpEcho echo;

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start(TestServer.ALLOW_LOOPBACK);
        echo = new UdpEcho("127.0.0.1");
    }

    @AfterAll
    static void stop() {
        server.close();
        echo.close();
    }

    @Test
    void replyNamesTheAddressTheClientReachedAndDatagramsRoundTrip() throws Exception {
        try (SocksClient tcp = SocksClient.connect(server.address()).greetNoAuth();
             DatagramSocket udp = datagramSocket("127.0.0.1")) {
            Reply reply = tcp.request(3, ANY);
            assertEquals(0, reply.rep());
            assertEquals(InetAddress.getByName("127.0.0.1"), reply.bound().getAddress(), "never 0.0.0.0");
            assertNotEquals(0, reply.bound().getPort());
            for (String text : new String[] {"first", "second"}) {
                byte[] answer = exchange(udp, reply.bound(), Wire.udpDatagram(0, echo.address(), text.getBytes()));
                assertArrayEquals(Wire.udpDatagram(0, echo.address(), text.getBytes()), answer,
                        "header names the echo as the source");
            }
        }
    }

    @Test
    void ipv6ClientGetsAnIpv6RelayAddress() throws Exception {
        try (TestServer v6 = TestServer.start(TestServer.ALLOW_LOOPBACK + "\nlisten = [\"[::1]:0\"]");
             SocksClient tcp = SocksClient.connect(v6.address()).greetNoAuth();
             DatagramSocket udp = datagramSocket("::1")) {
            Reply reply = tcp.request(3, ANY);
            assertEquals(0, reply.rep());
            assertEquals(InetAddress.getByName("::1"), reply.bound().getAddress());
            byte[] answer = exchange(udp, reply.bound(), Wire.udpDatagram(0, echo.address(), "v6".getBytes()));
            assertArrayEquals(Wire.udpDatagram(0, echo.address(), "v6".getBytes()), answer);
        }
    }

    @Test
    void ipv4ClientOfADualStackListenerGetsAnIpv4RelayAddress() throws Exception {
        try (TestServer dual = TestServer.start(TestServer.ALLOW_LOOPBACK + "\nlisten = [\"[::]:0\"]");
             SocksClient tcp = SocksClient.connect(new InetSocketAddress("127.0.0.1", dual.address().getPort()))
                     .greetNoAuth();
             DatagramSocket udp = datagramSocket("127.0.0.1")) {
            // The TCP connection's addresses are IPv4-mapped IPv6 (::ffff:127.0.0.1); the reply must not be.
            Reply reply = tcp.request(3, ANY);
            assertEquals(0, reply.rep());
            assertEquals(InetAddress.getByName("127.0.0.1"), reply.bound().getAddress());
            byte[] answer = exchange(udp, reply.bound(), Wire.udpDatagram(0, echo.address(), "mapped".getBytes()));
            assertArrayEquals(Wire.udpDatagram(0, echo.address(), "mapped".getBytes()), answer);
        }
    }

    @Test
    void datagramsFromOtherAddressesAndFragmentsAreDroppedAndCounted() throws Exception {
        int foreign = server.events.drops(Drop.UDP_FOREIGN_SOURCE);
        int fragments = server.events.drops(Drop.UDP_FRAGMENT);
        try (SocksClient tcp = SocksClient.connect(server.address()).greetNoAuth();
             DatagramSocket udp = datagramSocket("127.0.0.1");
             DatagramSocket stranger = datagramSocket("127.0.0.2")) {
            Reply reply = tcp.request(3, new InetSocketAddress("0.0.0.0", udp.getLocalPort()));
            assertEquals(0, reply.rep());
            int echoed = echo.received.get();
            send(stranger, reply.bound(), Wire.udpDatagram(0, echo.address(), "from elsewhere".getBytes()));
            send(udp, reply.bound(), Wire.udpDatagram(1, echo.address(), "fragment".getBytes()));
            PolicyTest.awaitCount(() -> server.events.drops(Drop.UDP_FOREIGN_SOURCE), foreign + 1);
            PolicyTest.awaitCount(() -> server.events.drops(Drop.UDP_FRAGMENT), fragments + 1);
            assertEquals(echoed, echo.received.get(), "nothing dropped reached the destination");
            // The client itself still gets through.
            byte[] answer = exchange(udp, reply.bound(), Wire.udpDatagram(0, echo.address(), "ok".getBytes()));
            assertArrayEquals(Wire.udpDatagram(0, echo.address(), "ok".getBytes()), answer);
        }
    }

    @Test
    void associationEndsWithItsTcpConnection() throws Exception {
        InetSocketAddress relay;
        try (SocksClient tcp = SocksClient.connect(server.address()).greetNoAuth()) {
            relay = tcp.request(3, ANY).bound();
            PolicyTest.awaitCount(server.events.udpSessionsActive::get, 1);
        }
        PolicyTest.awaitCount(server.events.udpSessionsActive::get, 0);
        // The relay socket is gone: its port can be bound again.
        try (DatagramSocket reuse = new DatagramSocket(relay)) {
            assertEquals(relay.getPort(), reuse.getLocalPort());
        }
    }

    @Test
    void udpIdleTimeoutClosesTheTcpConnection() throws Exception {
        try (TestServer idle = TestServer.start(TestServer.ALLOW_LOOPBACK + "\ntimeouts.udp-idle = 300ms");
             SocksClient tcp = SocksClient.connect(idle.address()).greetNoAuth()) {
            long start = System.nanoTime();
            assertEquals(0, tcp.request(3, ANY).rep());
            // The association is idle from its start: the TCP connection ends when timeouts.udp-idle has passed.
            tcp.assertClosedBetween(start, 300 - Bounds.TIMER_EARLY_MS, 300 + Bounds.TIMER_LATE_MS,
                    "close by timeouts.udp-idle = 300ms");
        }
    }

    @Test
    void deniedDestinationIsDroppedAndCounted() throws Exception {
        try (TestServer defaults = TestServer.start("");
             SocksClient tcp = SocksClient.connect(defaults.address()).greetNoAuth();
             DatagramSocket udp = datagramSocket("127.0.0.1")) {
            Reply reply = tcp.request(3, ANY);
            send(udp, reply.bound(), Wire.udpDatagram(0, echo.address(), "loopback".getBytes()));
            PolicyTest.awaitCount(() -> defaults.events.drops(Drop.UDP_DENIED), 1);
            udp.setSoTimeout(200);
            assertThrows(SocketTimeoutException.class, () -> udp.receive(new DatagramPacket(new byte[100], 100)));
        }
    }

    static DatagramSocket datagramSocket(String host) throws Exception {
        DatagramSocket s = new DatagramSocket(new InetSocketAddress(host, 0));
        s.setSoTimeout(5000);
        return s;
    }

    static void send(DatagramSocket from, InetSocketAddress to, byte[] datagram) throws Exception {
        from.send(new DatagramPacket(datagram, datagram.length, to));
    }

    static byte[] exchange(DatagramSocket udp, InetSocketAddress relay, byte[] datagram) throws Exception {
        send(udp, relay, datagram);
        DatagramPacket in = new DatagramPacket(new byte[65536], 65536);
        udp.receive(in);
        assertEquals(relay, in.getSocketAddress(), "answered from the relay address");
        return Arrays.copyOf(in.getData(), in.getLength());
    }
}
