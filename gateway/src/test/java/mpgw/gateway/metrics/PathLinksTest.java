package mpgw.gateway.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.NetworkInterface;
import java.util.List;
import mpgw.status.LinkSample;
import org.junit.jupiter.api.Test;

/** The status page's links: a path's bytes, its interface, and the link's own state and role when it is listed. */
class PathLinksTest {
    private static final String PATH = "127.0.0.1 -> 127.0.0.2:1080";

    private static SimpleMeterRegistry withPath() {
        SimpleMeterRegistry r = new SimpleMeterRegistry();
        Counter.builder("mpgw.gateway.path.bytes").tags("path", PATH, "direction", "sent").register(r).increment(10);
        Counter.builder("mpgw.gateway.path.bytes").tags("path", PATH, "direction", "received").register(r)
                .increment(20);
        return r;
    }

    @Test
    void anUnlistedInterfaceShowsWhetherItIsUpAndNoRole() throws Exception {
        List<LinkSample> links = new PathLinks(withPath()).links();
        String lo = NetworkInterface.getByInetAddress(java.net.InetAddress.getLoopbackAddress()).getName();
        assertEquals(1, links.size());
        assertEquals(lo, links.get(0).iface());
        assertEquals("up", links.get(0).state());
        assertNull(links.get(0).role());
    }

    @Test
    void aListedLinkShowsItsOwnStateAndRole() throws Exception {
        SimpleMeterRegistry r = withPath();
        String lo = NetworkInterface.getByInetAddress(java.net.InetAddress.getLoopbackAddress()).getName();
        for (String s : List.of("up", "degraded", "down", "quota-spent")) {
            Gauge.builder("mpgw.gateway.link.state", () -> s.equals("quota-spent") ? 1 : 0)
                    .tags("interface", lo, "state", s).register(r);
        }
        Gauge.builder("mpgw.gateway.link.role", () -> 1).tags("interface", lo, "role", "backup").register(r);
        LinkSample link = new PathLinks(r).links().get(0);
        assertEquals("quota-spent", link.state());
        assertEquals("backup", link.role());
    }
}
