package mpgw.it.path;

import mpgw.it.harness.Topology;

/** {@code gateway.udp.mode = associate} against Dante, a third-party SOCKS5 server, as the UDP peer on srv. */
class UdpAssociateDanteDnsPathTest extends UdpDnsPathTests {

    @Override
    String mode() {
        return "associate";
    }

    @Override
    void startSocksPeer(Topology net) {
        net.startDante();
    }
}
