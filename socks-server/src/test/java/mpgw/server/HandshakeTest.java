package mpgw.server;

import static mpgw.server.Wire.bytes;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Method negotiation (RFC 1928 §3) and username/password login (RFC 1929) over real sockets. */
class HandshakeTest {
    private static final String PASSWORD_AUTH = TestServer.ALLOW_LOOPBACK
            + "\nauth { method = password, users = [ { user = alice, password = \"s3cret\" } ] }";
    private static TestServer open;
    private static TestServer withPassword;
    private static TcpEcho echo;

    @BeforeAll
    static void start() throws Exception {
        open = TestServer.start(TestServer.ALLOW_LOOPBACK);
        withPassword = TestServer.start(PASSWORD_AUTH);
        echo = new TcpEcho("127.0.0.1");
    }

    @AfterAll
    static void stop() throws Exception {
        open.close();
        withPassword.close();
        echo.close();
    }

    @Test
    void noAuthenticationIsSelectedAndConnectWorks() throws Exception {
        try (SocksClient c = SocksClient.connect(open.address())) {
            c.send(Wire.greeting(0x02, 0x00));
            assertArrayEquals(bytes(5, 0), c.read(2));
            assertEquals(0, c.request(1, echo.address()).rep());
            c.send("ping".getBytes());
            assertArrayEquals("ping".getBytes(), c.read(4));
        }
    }

    @Test
    void goodPasswordIsAccepted() throws Exception {
        try (SocksClient c = SocksClient.connect(withPassword.address())) {
            c.send(Wire.greeting(0x00, 0x02));
            assertArrayEquals(bytes(5, 2), c.read(2));
            c.send(Wire.login("alice", "s3cret"));
            assertArrayEquals(bytes(1, 0), c.read(2));
            assertEquals(0, c.request(1, echo.address()).rep());
            c.send("ping".getBytes());
            assertArrayEquals("ping".getBytes(), c.read(4));
        }
    }

    @Test
    void badPasswordGetsFailureAndClose() throws Exception {
        for (String[] login : new String[][] {{"alice", "wrong"}, {"mallory", "s3cret"}}) {
            try (SocksClient c = SocksClient.connect(withPassword.address())) {
                c.send(Wire.greeting(0x02));
                assertArrayEquals(bytes(5, 2), c.read(2));
                c.send(Wire.login(login[0], login[1]));
                assertArrayEquals(bytes(1, 1), c.read(2), "login " + login[0]);
                c.assertClosedWithin(Bounds.AT_ONCE_MS, "close after a failed login");
            }
        }
    }

    @Test
    void noAcceptableMethodGets05FFAndClose() throws Exception {
        try (SocksClient c = SocksClient.connect(withPassword.address())) {
            c.send(Wire.greeting(0x00));
            assertArrayEquals(bytes(5, 0xff), c.read(2));
            c.assertClosedWithin(Bounds.AT_ONCE_MS, "close after 05 FF");
        }
        try (SocksClient c = SocksClient.connect(open.address())) {
            c.send(Wire.greeting(0x01, 0x02));
            assertArrayEquals(bytes(5, 0xff), c.read(2));
            c.assertClosedWithin(Bounds.AT_ONCE_MS, "close after 05 FF");
        }
    }

    @Test
    void pipelinedLoginRequestAndPayloadInOneWrite() throws Exception {
        try (SocksClient c = SocksClient.connect(withPassword.address())) {
            c.send(Wire.greeting(0x02), Wire.login("alice", "s3cret"), Wire.request(1, echo.address()),
                    "early bytes".getBytes());
            assertArrayEquals(bytes(5, 2, 1, 0), c.read(4));
            assertEquals(0, c.readReply().rep());
            assertArrayEquals("early bytes".getBytes(), c.read(11));
        }
    }

    @Test
    void oneBytePerWriteWorks() throws Exception {
        byte[] all = Wire.concat(Wire.greeting(0x02), Wire.login("alice", "s3cret"),
                Wire.request(1, InetSocketAddress.createUnresolved("localhost", echo.address().getPort())),
                "trickled".getBytes());
        try (SocksClient c = SocksClient.connect(withPassword.address())) {
            for (byte b : all) {
                c.send(new byte[] {b});
                Thread.sleep(2); // lets each byte leave as its own segment (TCP_NODELAY is on)
            }
            assertArrayEquals(bytes(5, 2, 1, 0), c.read(4));
            assertEquals(0, c.readReply().rep());
            assertArrayEquals("trickled".getBytes(), c.read(8));
        }
    }
}
