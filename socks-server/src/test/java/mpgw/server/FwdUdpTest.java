package mpgw.server;

import static mpgw.server.Wire.bytes;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * FWD UDP (command 0x05, hev-socks5's UDP inside the stream): frames to several destinations over one TCP
 * connection, replies framed with their source address. Frames are written by hand to pin the wire format.
 */
class FwdUdpTest {
    private static TestServer server;
    private static UdpEcho echo4;
    private static UdpEcho echo6;

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start(TestServer.ALLOW_LOOPBACK);
        echo4 = new UdpEcho("127.0.0.1");
        echo6 = new UdpEcho("::1");
    }

    @AfterAll
    static void stop() {
        server.close();
        echo4.close();
        echo6.close();
    }

    @Test
    void severalDestinationsOverOneStreamPipelinedBehindTheRequest() throws Exception {
        try (SocksClient c = SocksClient.connect(server.address())) {
            c.send(Wire.greeting(0), Wire.request(5, new InetSocketAddress("0.0.0.0", 0)),
                    Wire.fwdUdpFrame(echo4.address(), "to v4".getBytes()),
                    Wire.fwdUdpFrame(echo6.address(), "to v6".getBytes()));
            assertArrayEquals(bytes(5, 0), c.read(2));
            assertEquals(0, c.readReply().rep());
            Set<String> replies = new HashSet<>(List.of(readFrame(c), readFrame(c)));
            assertEquals(Set.of(echo4.address() + " to v4", echo6.address() + " to v6"), replies);

            c.send(Wire.fwdUdpFrame(InetSocketAddress.createUnresolved("localhost", echo4.address().getPort()),
                    "by name".getBytes()));
            assertEquals(echo4.address() + " by name", readFrame(c), "the source comes back as an address");
        }
    }

    @Test
    void exactReplyBytesOnTheWire() throws Exception {
        try (SocksClient c = SocksClient.connect(server.address()).greetNoAuth()) {
            assertEquals(0, c.request(5, new InetSocketAddress("0.0.0.0", 0)).rep());
            byte[] payload = new byte[1000];
            Arrays.fill(payload, (byte) 7);
            c.send(Wire.fwdUdpFrame(echo4.address(), payload));
            // 03 E8 (1000) 0A (3 + 7) 01 7F 00 00 01 PORT, then the payload.
            byte[] expected = Wire.fwdUdpFrame(echo4.address(), payload);
            assertArrayEquals(expected, c.read(expected.length));
        }
    }

    @Test
    void corruptFrameEndsTheStream() throws Exception {
        try (LogCapture log = LogCapture.open();
             SocksClient c = SocksClient.connect(server.address()).greetNoAuth()) {
            assertEquals(0, c.request(5, new InetSocketAddress("0.0.0.0", 0)).rep());
            c.send(bytes(0, 1, 99, 1, 127, 0, 0, 1, 0, 7, 'x')); // HDR.LEN 99 does not match an IPv4 field
            c.assertClosedWithin(Bounds.AT_ONCE_MS, "close after a corrupt frame");
            log.awaitConnectionLine(c.socket.getLocalPort());
            assertEquals(List.of(), log.problems());
        }
    }

    @Test
    void sessionEndsWithTheStream() throws Exception {
        int started = server.events.udpSessionsStarted.get();
        try (SocksClient c = SocksClient.connect(server.address()).greetNoAuth()) {
            assertEquals(0, c.request(5, new InetSocketAddress("0.0.0.0", 0)).rep());
            PolicyTest.awaitCount(server.events.udpSessionsStarted::get, started + 1);
        }
        PolicyTest.awaitCount(server.events.udpSessionsActive::get, 0);
    }

    /** Reads one frame and renders it as "source payload". */
    private static String readFrame(SocksClient c) throws Exception {
        byte[] prefix = c.read(3);
        int length = ((prefix[0] & 0xff) << 8) | (prefix[1] & 0xff);
        byte[] address = c.read((prefix[2] & 0xff) - 3);
        InetSocketAddress source = decodeAddress(address);
        assertArrayEquals(Wire.address(source), address, "HDR.LEN and the address field agree");
        return source + " " + new String(c.read(length));
    }

    private static InetSocketAddress decodeAddress(byte[] field) throws Exception {
        int n = field[0] == 1 ? 4 : 16;
        int port = ((field[1 + n] & 0xff) << 8) | (field[2 + n] & 0xff);
        return new InetSocketAddress(java.net.InetAddress.getByAddress(Arrays.copyOfRange(field, 1, 1 + n)), port);
    }
}
