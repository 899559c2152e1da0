package mpgw.it.path;

/** {@code gateway.udp.mode = stream}: each session's datagrams as FWD UDP frames inside an MPTCP connection. */
class UdpStreamDnsPathTest extends UdpDnsPathTests {

    @Override
    String mode() {
        return "stream";
    }
}
