package mpgw.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import mpgw.jni.MptcpSocketFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The gateway's listeners: one SO_REUSEPORT socket per event loop, and a port someone else holds is an error. */
class GatewayListenersTest {
    @TempDir
    Path dir;

    private GatewayServer start(String listen) throws Exception {
        Path conf = dir.resolve("gateway-" + System.nanoTime() + ".conf");
        Files.writeString(conf, "gateway { listen = [\"" + listen + "\"], servers = [\"127.0.0.1:9\"],"
                + " metrics.listen = \"\" }");
        GatewaySettings settings = GatewaySettings.load(conf);
        GatewayServer server = new GatewayServer(settings, new MptcpSocketFactory(settings.mptcp()),
                GatewayMetrics.NONE);
        server.start();
        return server;
    }

    @Test
    void everyEventLoopListensOnTheOnePortAndConnectionsAreAccepted() throws Exception {
        GatewayServer gateway = start("127.0.0.1:0");
        try {
            List<InetSocketAddress> bound = gateway.boundAddresses();
            assertEquals(1, bound.size(), "one address, however many sockets: " + bound);
            assertTrue(bound.get(0).getPort() > 0);
            for (int i = 0; i < 16; i++) { // spread by the kernel over the loops' sockets; each must accept
                try (Socket s = new Socket()) {
                    s.connect(bound.get(0), 2000);
                }
            }
        } finally {
            gateway.stop(Duration.ZERO);
        }
    }

    @Test
    void aSecondGatewayOnTheSamePortFailsInsteadOfSharingIt() throws Exception {
        GatewayServer first = start("127.0.0.1:0");
        try {
            int port = first.boundAddresses().get(0).getPort();
            GatewayStartException e = assertThrows(GatewayStartException.class,
                    () -> start("127.0.0.1:" + port));
            assertTrue(e.getMessage().startsWith("cannot listen on 127.0.0.1:" + port), e.getMessage());
        } finally {
            first.stop(Duration.ZERO);
        }
    }
}
