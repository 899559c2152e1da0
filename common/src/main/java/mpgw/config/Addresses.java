package mpgw.config;

import io.netty.util.NetUtil;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;

/**
 * Address literals in config files, and the one normalisation every address comparison needs:
 * an IPv4-mapped IPv6 address (what a dual-stack socket reports for an IPv4 peer) becomes IPv4.
 */
public final class Addresses {
    private Addresses() {
    }

    /** An IP literal (IPv4 or IPv6, brackets allowed); never resolves names. */
    public static InetAddress parseLiteral(String s) {
        String t = s.trim();
        if (t.startsWith("[") && t.endsWith("]")) {
            t = t.substring(1, t.length() - 1);
        }
        byte[] bytes = NetUtil.createByteArrayFromIpAddressString(t);
        if (bytes == null) {
            throw new IllegalArgumentException("'" + s + "' is not an IP address");
        }
        try {
            return InetAddress.getByAddress(bytes);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("'" + s + "' is not an IP address");
        }
    }

    /** {@code 0.0.0.0:1080}, {@code [::]:1080}, {@code 127.0.0.1:9464}: a literal address and a port (0-65535). */
    public static InetSocketAddress parseSocketAddress(String s) {
        String t = s.trim();
        int colon = t.lastIndexOf(':');
        if (colon <= 0 || colon == t.length() - 1) {
            throw new IllegalArgumentException("'" + s + "' is not host:port (IPv6 as [addr]:port)");
        }
        String host = t.substring(0, colon);
        if (host.indexOf(':') >= 0 && !host.startsWith("[")) {
            throw new IllegalArgumentException("'" + s + "': write an IPv6 address in brackets, e.g. [::1]:1080");
        }
        int port;
        try {
            port = Integer.parseInt(t.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + s + "' has a bad port");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("'" + s + "': port must be 0-65535");
        }
        return new InetSocketAddress(parseLiteral(host), port);
    }

    /** The IPv4 address inside an IPv4-mapped IPv6 address; any other address unchanged. */
    public static InetAddress normalize(InetAddress a) {
        if (a instanceof Inet6Address) {
            byte[] b = a.getAddress();
            boolean mapped = b[10] == (byte) 0xff && b[11] == (byte) 0xff;
            for (int i = 0; i < 10 && mapped; i++) {
                mapped = b[i] == 0;
            }
            if (mapped) {
                try {
                    return InetAddress.getByAddress(new byte[] {b[12], b[13], b[14], b[15]});
                } catch (UnknownHostException e) {
                    throw new AssertionError(e);
                }
            }
        }
        return a;
    }

    public static InetSocketAddress normalize(InetSocketAddress a) {
        if (a.isUnresolved()) {
            return a;
        }
        InetAddress n = normalize(a.getAddress());
        return n == a.getAddress() ? a : new InetSocketAddress(n, a.getPort());
    }

    /** {@code 1.2.3.4:80}, {@code [::1]:80} or {@code name:80}, for logs. */
    public static String format(InetSocketAddress a) {
        if (a == null) {
            return "-";
        }
        if (a.isUnresolved()) {
            return a.getHostString() + ":" + a.getPort();
        }
        InetAddress ip = normalize(a.getAddress());
        String host = NetUtil.toAddressString(ip);
        return (ip instanceof Inet6Address ? "[" + host + "]" : host) + ":" + a.getPort();
    }
}
