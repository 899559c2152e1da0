package mpgw.net;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * {@code net.ipv4.tcp_fastopen} of the current network namespace (it also governs IPv6 and MPTCP): bit 1 lets
 * clients send data in the SYN, bit 2 lets listeners accept it. The kernel silently ignores a TCP_FASTOPEN
 * option the sysctl does not allow, so both daemons read it once at startup and say so in their log.
 */
public record FastOpenSysctl(int value) {
    public static final String KEY = "net.ipv4.tcp_fastopen";
    private static final Path FILE = Path.of("/proc/sys/net/ipv4/tcp_fastopen");
    private static final int CLIENT = 1;
    private static final int SERVER = 2;

    /** The current value; -1 when it cannot be read (no such file: then neither side is allowed). */
    public static FastOpenSysctl read() {
        try {
            return new FastOpenSysctl(Integer.decode(Files.readString(FILE).trim()));
        } catch (IOException | NumberFormatException e) {
            return new FastOpenSysctl(-1);
        }
    }

    public boolean allowsClient() {
        return value >= 0 && (value & CLIENT) != 0;
    }

    public boolean allowsServer() {
        return value >= 0 && (value & SERVER) != 0;
    }

    /** The value with the given side's bit added: what to set. */
    public int withClient() {
        return Math.max(value, 0) | CLIENT;
    }

    public int withServer() {
        return Math.max(value, 0) | SERVER;
    }

    /** For log lines: {@code net.ipv4.tcp_fastopen = 1}. */
    @Override
    public String toString() {
        return KEY + " = " + (value < 0 ? "unreadable" : String.valueOf(value));
    }
}
