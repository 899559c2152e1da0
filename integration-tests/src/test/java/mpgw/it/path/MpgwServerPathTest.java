package mpgw.it.path;

import static org.junit.jupiter.api.Assertions.assertEquals;

import mpgw.it.harness.Topology;
import org.junit.jupiter.api.Test;

/** Router B runs mpgw's own socks-server: the project's two halves end to end. */
class MpgwServerPathTest extends GatewayPathTests {

    @Override
    void startSocksPeer(Topology net) {
        net.startMpgwServer();
    }

    /** curl, a third-party SOCKS5 client, straight to the socks-server over link 2 (no gateway involved). */
    @Test
    void curlAsSocksClientOfTheServer() {
        String proxy = "socks5h://" + net.serverAddresses().get(1) + ":" + Topology.SOCKS_PORT;
        String got = net.gw.sh("curl -sS --fail --max-time 60 --proxy " + proxy + " http://" + net.dstIp() + ":"
                + Topology.HTTP_PORT + "/blob | sha256sum | cut -d' ' -f1").trim();
        assertEquals(net.blobSha256(), got, "sha256 of the blob curl fetched through the socks-server");
    }
}
