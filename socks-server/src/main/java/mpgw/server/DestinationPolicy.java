package mpgw.server;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import mpgw.config.Addresses;
import mpgw.config.Cidr;

/**
 * Decides whether a resolved destination may be reached ({@code destinations.*}): denied blocks, this
 * host's own addresses (as they are now: {@link OwnAddresses} follows changes), denied ports, and the allowed-port list. Checked after DNS
 * resolution so a name cannot smuggle a denied address. Thread-safe.
 */
final class DestinationPolicy {
    private final ServerSettings.DestinationRules rules;
    private final OwnAddresses ownAddresses;

    /** {@code ownAddresses}: this host's addresses, followed while the server runs ({@link OwnAddresses}). */
    DestinationPolicy(ServerSettings.DestinationRules rules, OwnAddresses ownAddresses) {
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
}
