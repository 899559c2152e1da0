package mpgw.gateway;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns the configured listen addresses into the sockets to bind. Linux's IPv6 wildcard socket is dual-stack
 * (unless net.ipv6.bindv6only=1) and so collides with an IPv4 wildcard on the same port: such a pair becomes the
 * one IPv6 socket. Where the host has no IPv6 at all, IPv6 addresses are dropped when an IPv4 one remains.
 */
final class ListenAddresses {
    private ListenAddresses() {
    }

    static List<InetSocketAddress> toBind(List<InetSocketAddress> configured) {
        return toBind(configured, ipv6Available(), bindV6Only());
    }

    static List<InetSocketAddress> toBind(List<InetSocketAddress> configured, boolean ipv6, boolean v6Only) {
        List<InetSocketAddress> out = new ArrayList<>();
        for (InetSocketAddress a : configured) {
            boolean isV6 = a.getAddress() instanceof Inet6Address;
            if (isV6 && !ipv6) {
                continue;
            }
            if (!isV6 && ipv6 && !v6Only && a.getAddress().isAnyLocalAddress() && hasV6Wildcard(configured, a.getPort())) {
                continue; // the dual-stack [::]:port takes IPv4 too
            }
            out.add(a);
        }
        if (out.isEmpty()) {
            out.addAll(configured.stream().filter(a -> a.getAddress() instanceof Inet4Address).toList());
        }
        return out.isEmpty() ? configured : out;
    }

    private static boolean hasV6Wildcard(List<InetSocketAddress> configured, int port) {
        return configured.stream().anyMatch(a -> a.getAddress() instanceof Inet6Address
                && a.getAddress().isAnyLocalAddress() && a.getPort() == port);
    }

    /** Read per thread: in a network namespace, the namespace's view. */
    static boolean ipv6Available() {
        try {
            Path p = Path.of("/proc/thread-self/net/if_inet6");
            return Files.exists(p) && !Files.readString(p).isBlank();
        } catch (IOException e) {
            return false;
        }
    }

    private static boolean bindV6Only() {
        try {
            return Files.readString(Path.of("/proc/sys/net/ipv6/bindv6only")).trim().equals("1");
        } catch (IOException e) {
            return false;
        }
    }
}
