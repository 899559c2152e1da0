package mpgw.server;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import mpgw.config.Addresses;
import mpgw.config.Cidr;

/**
 * Decides whether a resolved destination may be reached ({@code destinations.*}): denied blocks, this
 * host's own addresses (read once at startup), denied ports, and the allowed-port list. Checked after DNS
 * resolution so a name cannot smuggle a denied address. Immutable and thread-safe.
 */
final class DestinationPolicy {
    private final ServerSettings.DestinationRules rules;
    private final Set<InetAddress> ownAddresses;

    DestinationPolicy(ServerSettings.DestinationRules rules) {
        this(rules, rules.denyOwnAddresses() ? localAddresses() : Set.of());
    }

    DestinationPolicy(ServerSettings.DestinationRules rules, Set<InetAddress> ownAddresses) {
        this.rules = rules;
        this.ownAddresses = ownAddresses;
    }

    /** Null when allowed, else the reason (for the log line). Port 0 is never a destination (issue 16). */
    String denial(InetSocketAddress resolved) {
        if (resolved.getPort() == 0) {
            return "port 0";
        }
        String addressDenial = addressDenial(resolved.getAddress());
        if (addressDenial != null) {
            return addressDenial;
        }
        int port = resolved.getPort();
        for (PortRange r : rules.denyPorts()) {
            if (r.contains(port)) {
                return "port denied";
            }
        }
        List<PortRange> allow = rules.allowPorts();
        if (!allow.isEmpty() && allow.stream().noneMatch(r -> r.contains(port))) {
            return "port not allowed";
        }
        return null;
    }

    /** The address rules alone (deny blocks, this host's addresses): null when allowed, else the reason. */
    String addressDenial(InetAddress address) {
        InetAddress ip = Addresses.normalize(address);
        for (Cidr c : rules.deny()) {
            if (c.contains(ip)) {
                return "address in " + c;
            }
        }
        if (ownAddresses.contains(ip)) {
            return "address of this host";
        }
        return null;
    }

    private static Set<InetAddress> localAddresses() {
        Set<InetAddress> out = new HashSet<>();
        try {
            for (NetworkInterface nif : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                for (InetAddress a : Collections.list(nif.getInetAddresses())) {
                    // Scope ids would make fe80::1%eth0 unequal to the fe80::1 a client sends.
                    out.add(InetAddress.getByAddress(Addresses.normalize(a).getAddress()));
                }
            }
        } catch (SocketException | java.net.UnknownHostException e) {
            throw new IllegalStateException("cannot list this host's addresses: " + e.getMessage(), e);
        }
        return Set.copyOf(out);
    }
}
