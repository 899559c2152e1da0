package mpgw.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import mpgw.testing.Sh;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A third-party UDP ASSOCIATE client, PySocks (Debian's python3-socks), through the server to a UDP echo. */
class PySocksUdpTest {
    private static final String CLIENT = String.join("\n",
            "import socket, socks, sys",
            "proxy_port, echo_port = int(sys.argv[1]), int(sys.argv[2])",
            "s = socks.socksocket(socket.AF_INET, socket.SOCK_DGRAM)",
            "s.set_proxy(socks.SOCKS5, '127.0.0.1', proxy_port)",
            "s.settimeout(5)",
            "for word in (b'one', b'two'):",
            "    s.sendto(word, ('127.0.0.1', echo_port))",
            "    data, source = s.recvfrom(2048)",
            "    print(data.decode(), source[0], source[1] == echo_port)",
            "");
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
    void datagramsRoundTripThroughPySocks() throws Exception {
        // Debian's interpreter: python3-socks installs for it (a pyenv python3 earlier on the PATH would not see it).
        Sh.Result r = Sh.run(List.of("/usr/bin/python3", "-c", CLIENT,
                Integer.toString(server.address().getPort()), Integer.toString(echo.address().getPort())));
        assertEquals(0, r.exitCode(), r.output());
        assertEquals("one 127.0.0.1 True\ntwo 127.0.0.1 True\n", r.output());
    }
}
