package mpgw.gateway.links;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.Selector;
import java.nio.channels.SelectionKey;
import java.util.ArrayList;
import java.util.List;
import mpgw.config.Addresses;
import mpgw.paths.LinkProbePacket;
import mpgw.paths.MptcpEndpoint;
import mpgw.paths.SystemCommand;

/**
 * What {@code mpgw check} reports for one configured link, changing nothing: the interface, its carrier and
 * addresses, the MPTCP endpoint of each address and its flags, and one probe to router B's responder over the
 * link (1 s to answer).
 *
 * @param ok     false when the link cannot work as configured (no interface, no address, probe unanswered)
 * @param detail the table row, e.g. {@code wan2 backup, carrier up, 10.2.2.1 endpoint id 3 backup, probe ...}
 * @param fix    what to do when not ok
 */
public record LinkInspection(boolean ok, String detail, String fix) {

    public static LinkInspection of(LinkSettings link) {
        String head = link.iface() + " " + link.role().word()
                + (link.quota().isPresent() ? " quota " + link.quota().getAsLong() + "/" + link.quotaPeriod()
                .name().toLowerCase(java.util.Locale.ROOT) : "");
        List<String> addresses;
        try {
            addresses = LinkEndpoints.globalAddresses(link.iface());
        } catch (IOException e) {
            return new LinkInspection(false, head + ": " + e.getMessage(), "check gateway.links' interface names");
        }
        if (addresses.isEmpty()) {
            return new LinkInspection(false, head + ": no such interface, or it has no global address",
                    "ip -br addr show " + link.iface() + " (gateway.links' interface names)");
        }
        StringBuilder row = new StringBuilder(head).append(", carrier ")
                .append(Link.carrier(link.iface()) ? "up" : "DOWN");
        try {
            List<MptcpEndpoint> endpoints = MptcpEndpoint.parse(SystemCommand.ip("mptcp", "endpoint", "show"));
            for (String a : addresses) {
                MptcpEndpoint e = endpoints.stream().filter(x -> same(x.address(), a)).findFirst().orElse(null);
                row.append(", ").append(a).append(e == null ? " no endpoint (the gateway adds one at start)"
                        : " endpoint id " + e.id() + (e.flags().isEmpty() ? "" : " " + String.join(" ", e.flags())));
            }
        } catch (IOException e) {
            row.append(", endpoints unreadable: ").append(e.getMessage());
        }
        if (link.probe().isEmpty()) {
            return new LinkInspection(true, row.append(", not probed").toString(), null);
        }
        String target = Addresses.format(link.probe().get());
        long rtt = probeOnce(link.probe().get(), addresses);
        if (rtt < 0) {
            return new LinkInspection(false, row.append(", probe ").append(target).append(" unanswered in 1 s")
                    .toString(), "server.probe { enabled = on } on router B with this link's address in its allow,"
                    + " and UDP " + link.probe().get().getPort() + " open on its firewall");
        }
        return new LinkInspection(true, row.append(", probe ").append(target).append(String.format(
                java.util.Locale.ROOT, " answered in %.1f ms", rtt / 1e6)).toString(), null);
    }

    private static boolean same(String a, String b) {
        try {
            return Addresses.parseLiteral(a).equals(Addresses.parseLiteral(b));
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** One probe from the link's address; the round trip in nanoseconds, or -1. */
    private static long probeOnce(InetSocketAddress target, List<String> addresses) {
        List<String> family = new ArrayList<>();
        for (String a : addresses) {
            if (Addresses.parseLiteral(a).getClass() == target.getAddress().getClass()) {
                family.add(a);
            }
        }
        if (family.isEmpty()) {
            return -1;
        }
        try (DatagramChannel ch = DatagramChannel.open(); Selector sel = Selector.open()) {
            ch.bind(new InetSocketAddress(Addresses.parseLiteral(family.get(0)), 0));
            ch.connect(target);
            ch.configureBlocking(false);
            ch.register(sel, SelectionKey.OP_READ);
            long start = System.nanoTime();
            ch.write(LinkProbePacket.request(1, start));
            ByteBuffer buf = ByteBuffer.allocate(LinkProbePacket.SIZE + 1);
            long deadline = start + 1_000_000_000L;
            while (System.nanoTime() < deadline) {
                sel.select(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
                sel.selectedKeys().clear();
                buf.clear();
                try {
                    if (ch.read(buf) > 0 && LinkProbePacket.valid(buf.flip())) {
                        return System.nanoTime() - start;
                    }
                } catch (IOException portUnreachable) {
                    return -1;
                }
            }
            return -1;
        } catch (IOException e) {
            return -1;
        }
    }
}
