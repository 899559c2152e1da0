package mpgw.gateway.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The kernel line of {@code mpgw check}: which MPTCP features a kernel release lacks, by the release that brought
 * each (docs/kernel.md: fullmesh 5.15, MPTCP_INFO and subflow addresses 5.16, TCP Fast Open on MPTCP 6.2,
 * MPTCP_FULL_INFO 6.5).
 */
class KernelCheckTest {

    private static List<String> missing(String release) {
        return KernelChecks.missingKernelFeatures(release).stream().map(KernelChecks.KernelFeature::since).toList();
    }

    @Test
    void eachFeatureIsMissingExactlyBelowItsRelease() {
        assertEquals(List.of("5.15", "5.16", "6.2", "6.5"), missing("5.14.21-150400.24-default"));
        assertEquals(List.of("5.16", "6.2", "6.5"), missing("5.15.0-91-generic"));
        assertEquals(List.of("6.2", "6.5"), missing("5.16.0"));
        assertEquals(List.of("6.2", "6.5"), missing("6.1.0-18-amd64"));
        assertEquals(List.of("6.5"), missing("6.2.0-39-generic"));
        assertEquals(List.of("6.5"), missing("6.4.16"));
        assertEquals(List.of(), missing("6.5.0"));
        assertEquals(List.of(), missing("6.18.44-fc-v1272"));
        assertEquals(List.of(), missing("7.0.0-rc1"));
    }

    @Test
    void aReleaseWithoutMajorAndMinorIsNotGuessed() {
        assertNull(KernelChecks.missingKernelFeatures("linux"));
        assertNull(KernelChecks.missingKernelFeatures(""));
        assertNull(KernelChecks.missingKernelFeatures(null));
        assertFalse(KernelChecks.kernel("garbage", false).ok());
    }

    @Test
    void belowTheMinimumTheCheckFailsAndNamesWhatIsMissing() {
        Check c = KernelChecks.kernel("5.15.0-91-generic\n", false);
        assertFalse(c.ok(), c.line());
        assertTrue(c.detail().startsWith("Linux 5.15.0-91-generic lacks MPTCP_INFO"), c.line());
        assertTrue(c.detail().contains("TCP Fast Open on MPTCP sockets (MSG_FASTOPEN, TCP_FASTOPEN on listeners)"
                + " (6.2)"), c.line());
        assertTrue(c.detail().contains("MPTCP_FULL_INFO (6.5)"), c.line());
        assertTrue(c.fix().startsWith("Linux 5.16 or later"), c.line());
    }

    @Test
    void aSupportedOlderKernelPassesAndSaysWhatDegrades() {
        Check c = KernelChecks.kernel("6.1.0-18-amd64", false);
        assertTrue(c.ok(), c.line());
        assertEquals("OK   kernel: Linux 6.1.0-18-amd64 runs mpgw; missing: TCP Fast Open on MPTCP sockets (MSG_FASTOPEN,"
                + " TCP_FASTOPEN on listeners) (6.2): upstream.fast-open and server.fast-open cannot work; leave them"
                + " off; MPTCP_FULL_INFO (6.5): subflow info is read with two calls (MPTCP_TCPINFO +"
                + " MPTCP_SUBFLOW_ADDRS), which may disagree when a subflow joins or leaves between them", c.line());
    }

    @Test
    void fastOpenOnAKernelWithoutItFails() {
        Check c = KernelChecks.kernel("6.1.0-18-amd64", true);
        assertFalse(c.ok(), c.line());
        assertTrue(c.fix().startsWith("set upstream.fast-open = off"), c.line());
        assertTrue(KernelChecks.kernel("6.2.0-39-generic", true).ok());
    }

    @Test
    void aCurrentKernelHasEverything() {
        Check c = KernelChecks.kernel("6.18.44-fc-v1272\n", true);
        assertEquals("OK   kernel: Linux 6.18.44-fc-v1272 has every MPTCP feature mpgw uses (endpoint flag fullmesh"
                + " 5.15, MPTCP_INFO and per-subflow addresses 5.16, TCP Fast Open on MPTCP sockets 6.2,"
                + " MPTCP_FULL_INFO 6.5)", c.line());
    }
}
