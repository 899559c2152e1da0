package mpgw.gateway.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.util.NetUtil;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import mpgw.status.LinkSample;
import mpgw.status.LinkSource;

/**
 * The gateway's links for the status page: one per subflow path that has carried bytes, read from the
 * {@code mpgw.gateway.path.bytes} counters the path sampler keeps ({@code path="10.1.1.1 -> 10.1.1.2:1080"}),
 * with the local interface that holds the path's source address and its state: the link's own state and role
 * when {@code gateway.links} lists the interface ({@code mpgw.gateway.link.state} / {@code .role}: up, degraded,
 * down, quota-spent; primary or backup), else whether the interface is up. Stateless; called by the status
 * sampler once a second.
 */
public final class PathLinks implements LinkSource {
    private static final String SEPARATOR = " -> ";

    private final MeterRegistry registry;

    public PathLinks(MeterRegistry registry) {
        this.registry = registry;
    }

    @Override
    public List<LinkSample> links() {
        Map<String, long[]> byPath = new LinkedHashMap<>();
        for (Counter c : registry.find("mpgw.gateway.path.bytes").counters()) {
            String path = c.getId().getTag("path");
            if (path == null) {
                continue;
            }
            long[] counts = byPath.computeIfAbsent(path, p -> new long[2]);
            counts["sent".equals(c.getId().getTag("direction")) ? 0 : 1] += (long) c.count();
        }
        List<LinkSample> out = new ArrayList<>(byPath.size());
        byPath.forEach((path, counts) -> {
            int arrow = path.indexOf(SEPARATOR);
            String local = arrow < 0 ? path : path.substring(0, arrow);
            String remote = arrow < 0 ? "" : path.substring(arrow + SEPARATOR.length());
            NetworkInterface iface = interfaceOf(local);
            String name = iface == null ? "" : iface.getName();
            String linkState = iface == null ? null : currentTag(name, "mpgw.gateway.link.state", "state");
            String role = iface == null ? null : currentTag(name, "mpgw.gateway.link.role", "role");
            out.add(new LinkSample(path, name, local, remote, linkState != null ? linkState : state(iface), role,
                    counts[0], counts[1]));
        });
        return out;
    }

    /** The {@code tag} of the gauge {@code name} of link {@code iface} that reads 1, or null (not a listed link). */
    private String currentTag(String iface, String name, String tag) {
        for (Gauge g : registry.find(name).tag("interface", iface).gauges()) {
            if (g.value() == 1) {
                return g.getId().getTag(tag);
            }
        }
        return null;
    }

    /** The interface holding {@code address} (an IP literal written by the sampler: no name lookup), or null. */
    private static NetworkInterface interfaceOf(String address) {
        InetAddress ip = NetUtil.createInetAddressFromIpAddressString(address);
        try {
            return ip == null ? null : NetworkInterface.getByInetAddress(ip);
        } catch (SocketException e) {
            return null;
        }
    }

    private static String state(NetworkInterface iface) {
        try {
            return iface == null ? "gone" : iface.isUp() ? "up" : "down";
        } catch (SocketException e) {
            return "gone";
        }
    }
}
