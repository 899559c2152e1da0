package mpgw.gateway.udp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import mpgw.testing.Sh;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * UDP in stream mode with TLS on both routers (issue 14): the FWD UDP stream carrier rides the same TLS 1.3 over
 * MPTCP as TCP flows (two 20 Mbit/s links), so dig and an iperf3 -u run get through, every session's upstream
 * after a pinned handshake, none in clear.
 */
class StreamModeTlsTest {
    private static UdpGatewayFixture f;

    @BeforeAll
    static void setUp() throws Exception {
        f = UdpGatewayFixture.startTls("");
        f.startIperfServer("--forceflush");
    }

    @AfterAll
    static void tearDown() {
        if (f != null) {
            f.close();
        }
    }

    @Test
    void digIsAnsweredThroughTls() throws Exception {
        double before = f.counter("mpgw.gateway.tls.handshakes", "result", "ok");
        String answer = f.dig("@" + f.bed.get("DST_IP") + " " + UdpGatewayFixture.DNS_NAME + " A +short");
        assertEquals(UdpGatewayFixture.DNS_ANSWER, answer.trim(), f.logs());
        assertTrue(f.counter("mpgw.gateway.tls.handshakes", "result", "ok") >= before + 1,
                "the session's stream made no TLS handshake");
        assertEquals(0, f.counter("mpgw.gateway.tls.handshakes", "result", "unknown-peer"));
    }

    @Test
    void anIperf3UdpRunGetsThroughTls() throws Exception {
        Sh.Result r = f.bed.run("client", "timeout 30 iperf3 -u -c " + f.bed.get("DST_IP")
                + " -b 8M -l 1200 -t 3 -f m");
        assertEquals(0, r.exitCode(), r.output() + f.logs());
        Matcher m = Pattern.compile("([\\d.]+) Mbits/sec\\s+[\\d.]+ ms\\s+\\d+/\\d+ \\(([\\d.e+-]+)%\\)\\s+receiver")
                .matcher(r.output());
        assertTrue(m.find(), r.output());
        double mbps = Double.parseDouble(m.group(1));
        double loss = Double.parseDouble(m.group(2));
        System.out.printf("udp stream over TLS, iperf3 -u -b 8M, 3 s: %.2f Mbit/s received, loss %.2f%%%n", mbps,
                loss);
        assertTrue(mbps > 6 && loss < 5, r.output());
        assertTrue(f.counter("mpgw.gateway.tls.handshakes", "result", "ok") >= 1);
    }
}
