package mpgw.gateway.links;

import java.net.InetSocketAddress;
import java.util.Optional;
import java.util.OptionalLong;
import mpgw.config.Addresses;
import mpgw.config.ConfigReader;

/**
 * One entry of {@code gateway.links}: a WAN interface of router A, its role, its optional quota and the address
 * of router B's probe responder reached over it. HOCON lists do not merge with {@code reference.conf}, so an
 * entry's optional keys get their defaults here (documented next to {@code links} in reference.conf).
 *
 * @param probe router B's probe responder over this link; empty: the link is not probed
 */
public record LinkSettings(String iface, LinkRole role, OptionalLong quota, QuotaPeriod quotaPeriod,
                           Optional<InetSocketAddress> probe) {

    /** The period a quota counts over, in UTC. */
    public enum QuotaPeriod { DAY, MONTH }

    /** Linux interface names: 1-15 bytes, no '/', ':' or whitespace. */
    private static final java.util.regex.Pattern IFACE = java.util.regex.Pattern.compile("[A-Za-z0-9_.@-]{1,15}");

    static LinkSettings from(ConfigReader c) {
        String iface = c.string("interface");
        if (!IFACE.matcher(iface).matches()) {
            throw c.error("interface", "'" + iface + "' is not an interface name (1-15 of A-Z a-z 0-9 _ . - @)");
        }
        LinkRole role = has(c, "role") ? LinkRole.valueOf(c.oneOf("role", "primary", "backup")
                .toUpperCase(java.util.Locale.ROOT)) : LinkRole.PRIMARY;
        OptionalLong quota = has(c, "quota") ? OptionalLong.of(c.bytesIn("quota", 1, Long.MAX_VALUE))
                : OptionalLong.empty();
        QuotaPeriod period = has(c, "quota-period")
                ? QuotaPeriod.valueOf(c.oneOf("quota-period", "day", "month").toUpperCase(java.util.Locale.ROOT))
                : QuotaPeriod.MONTH;
        Optional<InetSocketAddress> probe = Optional.empty();
        if (has(c, "probe")) {
            probe = c.optionalSocketAddress("probe");
            if (probe.isPresent() && (probe.get().getPort() == 0 || probe.get().getAddress().isAnyLocalAddress())) {
                throw c.error("probe", "'" + Addresses.format(probe.get()) + "' is not an address to send to");
            }
        }
        return new LinkSettings(iface, role, quota, period, probe);
    }

    private static boolean has(ConfigReader c, String key) {
        return c.config().hasPath(key);
    }
}
