package mpgw.jni;

import io.netty.channel.Channel;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Arrays;

/**
 * The destination a client connected to before netfilter's REDIRECT (or DNAT) rewrote it:
 * {@code SO_ORIGINAL_DST} for IPv4 and {@code IP6T_SO_ORIGINAL_DST} for IPv6, read from the
 * conntrack entry of an accepted socket. IPv4 clients on a dual-stack listener are IPv4 flows, so
 * the family is taken from the accepted socket's local address.
 */
public final class OriginalDestination {
    private OriginalDestination() {
    }

    public static InetSocketAddress of(Channel accepted) throws IOException {
        InetSocketAddress local = (InetSocketAddress) accepted.localAddress();
        boolean ipv6 = local != null && local.getAddress() instanceof Inet6Address
                && !isV4Mapped(local.getAddress());
        byte[] out = new byte[18];
        int len = NativeIoException.check(ipv6 ? "getsockopt(IP6T_SO_ORIGINAL_DST)" : "getsockopt(SO_ORIGINAL_DST)",
                Native.originalDestination(SocketOptions.fd(accepted), ipv6, out));
        int port = ((out[16] & 0xff) << 8) | (out[17] & 0xff);
        return new InetSocketAddress(InetAddress.getByAddress(Arrays.copyOf(out, len)), port);
    }

    private static boolean isV4Mapped(InetAddress address) {
        byte[] a = address.getAddress();
        for (int i = 0; i < 10; i++) {
            if (a[i] != 0) {
                return false;
            }
        }
        return a[10] == (byte) 0xff && a[11] == (byte) 0xff;
    }
}
