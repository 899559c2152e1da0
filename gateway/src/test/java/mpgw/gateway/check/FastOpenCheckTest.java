package mpgw.gateway.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import mpgw.gateway.config.GatewaySettings;
import mpgw.net.FastOpenSysctl;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The fast-open line of {@code mpgw check} (and of the gateway's start-up warnings) for given sysctl values. */
class FastOpenCheckTest {
    @TempDir
    Path dir;

    private GatewaySettings settings(String fastOpen) throws Exception {
        Path f = dir.resolve("gateway.conf");
        Files.writeString(f, "gateway { servers = [\"10.1.1.2:1080\"], upstream.fast-open = " + fastOpen + " }");
        return GatewaySettings.load(f);
    }

    @Test
    void offNeedsNothing() throws Exception {
        assertTrue(KernelChecks.fastOpen(settings("off"), new FastOpenSysctl(0), "4096 131072 6291456").ok());
    }

    @Test
    void onNeedsTheClientBit() throws Exception {
        Check c = KernelChecks.fastOpen(settings("on"), new FastOpenSysctl(2), "4096 1048576 6291456");
        assertFalse(c.ok());
        assertTrue(c.fix().startsWith("sysctl -w net.ipv4.tcp_fastopen=3"), c.line());
    }

    @Test
    void onWithTheKernelsDefaultReceiveBufferNamesTheSetting() throws Exception {
        Check c = KernelChecks.fastOpen(settings("on"), new FastOpenSysctl(1), "4096\t131072\t6291456\n");
        assertFalse(c.ok(), c.line());
        assertTrue(c.detail().contains("tcp_rmem default is 131072"), c.line());
        assertEquals("sysctl -w net.ipv4.tcp_rmem=\"4096 1048576 6291456\"", c.fix());
        // A maximum below 1 MiB is raised with the default, or the kernel refuses the triple.
        assertEquals("sysctl -w net.ipv4.tcp_rmem=\"4096 1048576 1048576\"",
                KernelChecks.fastOpen(settings("on"), new FastOpenSysctl(1), "4096 87380 524288").fix());
    }

    @Test
    void onWithAMebibyteDefaultPasses() throws Exception {
        Check c = KernelChecks.fastOpen(settings("on"), new FastOpenSysctl(1), "4096 1048576 6291456");
        assertTrue(c.ok(), c.line());
        assertTrue(c.detail().contains("tcp_rmem default 1048576"), c.line());
    }
}
