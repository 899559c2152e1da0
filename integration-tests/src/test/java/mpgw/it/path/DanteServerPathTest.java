package mpgw.it.path;

import mpgw.it.harness.Topology;

/** Router B runs Dante, a third-party SOCKS5 server (under mptcpize), instead of mpgw's socks-server. */
class DanteServerPathTest extends GatewayPathTests {

    @Override
    void startSocksPeer(Topology net) {
        net.startDante();
    }
}
