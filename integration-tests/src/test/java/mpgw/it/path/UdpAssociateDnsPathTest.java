package mpgw.it.path;

/**
 * {@code gateway.udp.mode = associate}: RFC 1928 UDP ASSOCIATE against mpgw's socks-server, the control
 * connection over MPTCP and the datagrams as plain UDP to the relay it names.
 */
class UdpAssociateDnsPathTest extends UdpDnsPathTests {

    @Override
    String mode() {
        return "associate";
    }
}
