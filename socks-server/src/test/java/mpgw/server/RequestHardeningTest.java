package mpgw.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import mpgw.server.SocksClient.Reply;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Issue 16's concerns about requests: RSV != 0, port 0, multicast and broadcast in the default deny list. */
class RequestHardeningTest {
    private static TcpEcho echo;

    @BeforeAll
    static void start() throws Exception {
        echo = new TcpEcho("127.0.0.1");
    }

    @AfterAll
    static void stop() throws Exception {
        echo.close();
    }

    /** Raw bytes: VER 5, CMD CONNECT, RSV 0x01, ATYP IPv4 127.0.0.1, the echo's port. Was accepted and relayed. */
    @Test
    void aRequestWithReservedByteNotZeroIsRefusedWithGeneralFailure() throws Exception {
        try (TestServer server = TestServer.start(TestServer.ALLOW_LOOPBACK);
             SocksClient c = SocksClient.connect(server.address()).greetNoAuth()) {
            int port = echo.address().getPort();
            c.send(Wire.bytes(5, 1, 1, 1, 127, 0, 0, 1, port >> 8, port & 0xff));
            assertEquals(1, c.readReply().rep(), "general SOCKS server failure");
            assertTrue(c.closedByServer());
        }
    }

    /** Was attempted (a connect to port 0); now refused before any connect, 0x02 "not allowed by ruleset". */
    @Test
    void connectToPortZeroIsRefusedAsNotAllowed() throws Exception {
        try (TestServer server = TestServer.start(TestServer.ALLOW_LOOPBACK)) {
            for (InetSocketAddress dest : new InetSocketAddress[] {new InetSocketAddress("127.0.0.1", 0),
                    InetSocketAddress.createUnresolved("localhost", 0)}) {
                try (SocksClient c = SocksClient.connect(server.address()).greetNoAuth()) {
                    assertEquals(2, c.request(1, dest).rep(), dest.toString());
                }
            }
        }
    }

    /** A datagram to port 0 (UDP ASSOCIATE) is dropped as denied; the ASSOCIATE request's own port 0 is RFC 1928's "unknown yet". */
    @Test
    void aDatagramToPortZeroIsDropped() throws Exception {
        try (TestServer server = TestServer.start(TestServer.ALLOW_LOOPBACK);
             SocksClient tcp = SocksClient.connect(server.address()).greetNoAuth();
             DatagramSocket udp = UdpAssociateTest.datagramSocket("127.0.0.1")) {
            Reply reply = tcp.request(3, new InetSocketAddress("0.0.0.0", 0));
            assertEquals(0, reply.rep(), "ASSOCIATE with DST 0.0.0.0:0 stays allowed");
            UdpAssociateTest.send(udp, reply.bound(),
                    Wire.udpDatagram(0, new InetSocketAddress("127.0.0.1", 0), "x".getBytes()));
            PolicyTest.awaitCount(() -> server.events.drops(Drop.UDP_DENIED), 1);
        }
    }

    /** The default deny list keeps multicast (mDNS 224.0.0.251:5353) and the limited broadcast off router B's LAN. */
    @Test
    void multicastAndBroadcastAreDeniedByDefault() throws Exception {
        try (TestServer server = TestServer.start("")) {
            for (String ip : new String[] {"224.0.0.251", "239.255.255.250", "ff02::fb", "255.255.255.255"}) {
                try (SocksClient c = SocksClient.connect(server.address()).greetNoAuth()) {
                    assertEquals(2, c.request(1, new InetSocketAddress(ip, 5353)).rep(), ip);
                }
            }
            try (SocksClient tcp = SocksClient.connect(server.address()).greetNoAuth();
                 DatagramSocket udp = UdpAssociateTest.datagramSocket("127.0.0.1")) {
                Reply reply = tcp.request(3, new InetSocketAddress("0.0.0.0", 0));
                UdpAssociateTest.send(udp, reply.bound(),
                        Wire.udpDatagram(0, new InetSocketAddress("224.0.0.251", 5353), "mdns".getBytes()));
                PolicyTest.awaitCount(() -> server.events.drops(Drop.UDP_DENIED), 1);
            }
        }
    }
}
