package mpgw.gateway.tcp;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import mpgw.config.Addresses;

/**
 * Refuses flows whose original destination is the gateway itself: loopback, the wildcard address, a listen
 * address, or any address of the host's interfaces. Such a flow would be intercepted again (a redirect loop)
 * or would reach the gateway's own services through the tunnel. Also refuses flows to a socks-server address:
 * that is the gateway's own upstream connection caught by the rules (its SO_MARK and the rules' mark differ,
 * or the rules lack {@code --server}); carrying it would open another upstream, which would be caught again.
 *
 * <p>The interface addresses are re-read at most every {@link #REFRESH_NANOS}, on whichever event loop asks, so
 * addresses added later (DHCP) are seen. Thread-safe.
 */
public final class LoopGuard {
    static final long REFRESH_NANOS = 5_000_000_000L;

    private final List<InetSocketAddress> listen;
    private final List<InetSocketAddress> servers;
    private volatile Set<InetAddress> own = Set.of();
    private volatile long readAt;

    public LoopGuard(List<InetSocketAddress> listen, List<InetSocketAddress> servers) {
        this.listen = List.copyOf(listen);
        this.servers = servers.stream().map(s -> new InetSocketAddress(Addresses.normalize(s.getAddress()),
                s.getPort())).toList();
        refresh();
    }

    /** Why {@code destination} is the gateway itself, or null when it is not. {@code local}: the accepted socket's. */
    String check(InetSocketAddress destination, InetSocketAddress local) {
        InetAddress ip = Addresses.normalize(destination.getAddress());
        if (ip.isLoopbackAddress()) {
            return "destination is loopback";
        }
        if (ip.isAnyLocalAddress()) {
            return "destination is the wildcard address";
        }
        if (local != null && destination.equals(Addresses.normalize(local))) {
            return "destination is this connection's own local address (not a NATed flow)";
        }
        for (InetSocketAddress l : listen) {
            if (l.getPort() == destination.getPort() && (l.getAddress().isAnyLocalAddress()
                    || Addresses.normalize(l.getAddress()).equals(ip))) {
                return "destination is the gateway's listen address";
            }
        }
        if (servers.contains(new InetSocketAddress(ip, destination.getPort()))) {
            return "destination is the socks-server " + Addresses.format(destination) + " (the gateway's own"
                    + " upstream was intercepted: give upstream.mark and mpgw-rules --mark the same value)";
        }
        if (System.nanoTime() - readAt > REFRESH_NANOS) {
            refresh();
        }
        if (own.contains(ip)) {
            return "destination is one of the gateway's own addresses";
        }
        return null;
    }

    private void refresh() {
        Set<InetAddress> addresses = new HashSet<>();
        try {
            for (NetworkInterface nif : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                for (InetAddress a : Collections.list(nif.getInetAddresses())) {
                    addresses.add(Addresses.normalize(stripScope(a)));
                }
            }
        } catch (SocketException e) {
            return; // keep the previous set; loopback and listen checks still apply
        }
        own = Set.copyOf(addresses);
        readAt = System.nanoTime();
    }

    private static InetAddress stripScope(InetAddress a) {
        try {
            return InetAddress.getByAddress(a.getAddress());
        } catch (java.net.UnknownHostException e) {
            return a;
        }
    }
}
