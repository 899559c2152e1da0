package mpgw.gateway.metrics;

import io.micrometer.core.instrument.Counter;
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
 * with the local interface that holds the path's source address and whether it is up. Stateless; called by the
 * status sampler once a second.
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
            out.add(new LinkSample(path, iface == null ? "" : iface.getName(), local, remote, state(iface), null,
                    counts[0], counts[1]));
        });
        return out;
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
