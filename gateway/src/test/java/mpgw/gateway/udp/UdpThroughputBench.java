package mpgw.gateway.udp;

import mpgw.testing.Sh;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Prints how much UDP one gateway moves over unshaped links (not a test: no asserts on speed; run with
 * {@code mvn -pl gateway -am test -Dtest=UdpThroughputBench -Dsurefire.failIfNoSpecifiedTests=false}).
 */
class UdpThroughputBench {
    @ParameterizedTest(name = "{0} via {1}, {2} B datagrams at {3}")
    @CsvSource({
        "stream,    MPGW,  1200, 100M",
        "stream,    MPGW,  1200, 300M",
        "stream,    MPGW,  1200, 2G",
        "stream,    MPGW,  200,  2G",
        "associate, MPGW,  1200, 300M",
        "associate, DANTE, 1200, 300M",
    })
    void iperf3AtARate(String mode, UdpGatewayFixture.Server server, int length, String rate) throws Exception {
        try (UdpGatewayFixture f = UdpGatewayFixture.start(mode, server, "", "none")) {
            f.startIperfServer("-1");
            Sh.Result r = f.bed.run("client", "timeout 30 iperf3 -u -c " + f.bed.get("DST_IP")
                    + " -b " + rate + " -l " + length + " -t 5 -f m");
            String summary = r.output().lines().filter(l -> l.contains("receiver") || l.contains("sender"))
                    .reduce("", (a, b) -> a + "\n  " + b);
            String kernel = f.bed.run("gw", "nstat -az UdpRcvbufErrors Udp6RcvbufErrors | tail -n +2").output();
            System.out.printf("udp bench %s via %s, %d B datagrams at %s, unshaped links:%s%n  gateway drops: %s%n"
                    + "  gw kernel: %s%n", mode, server, length, rate, summary, dropSummary(f), kernel.trim());
        }
    }

    private static String dropSummary(UdpGatewayFixture f) {
        StringBuilder b = new StringBuilder();
        for (UdpDrop d : UdpDrop.values()) {
            double n = f.drops(d);
            if (n > 0) {
                b.append(d.tag()).append('=').append((long) n).append(' ');
            }
        }
        return b.length() == 0 ? "none" : b.toString();
    }
}
