package mpgw.gateway.udp;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import mpgw.metrics.ByteCounters;

/**
 * The UDP path's meters (Prometheus names):
 * <ul>
 *   <li>{@code mpgw_gateway_udp_sessions_active} - client sessions open now</li>
 *   <li>{@code mpgw_gateway_udp_sessions_total} - sessions opened</li>
 *   <li>{@code mpgw_gateway_udp_datagrams_total{direction=up|down}}, {@code mpgw_gateway_udp_bytes_total{direction}}
 *       - payload passed on (up: client to router B)</li>
 *   <li>{@code mpgw_gateway_udp_drops_total{reason}} - one series per {@link UdpDrop}</li>
 *   <li>{@code mpgw_gateway_udp_reply_sockets} - transparent reply sockets open now</li>
 *   <li>{@code mpgw_gateway_udp_queued_bytes} - bytes of datagrams queued in the gateway now, payload plus a
 *       fixed overhead each ({@code limits.udp-queued-bytes})</li>
 * </ul>
 */
public final class MicrometerUdpMetrics implements UdpMetrics {
    private final AtomicLong active = new AtomicLong();
    private final AtomicLong replySockets = new AtomicLong();
    private final AtomicLong queued = new AtomicLong();
    private final Counter sessions;
    private final Counter datagramsUp;
    private final Counter datagramsDown;
    private final ByteCounters bytes;
    private final Map<UdpDrop, Counter> drops = new EnumMap<>(UdpDrop.class);

    public MicrometerUdpMetrics(MeterRegistry registry) {
        Gauge.builder("mpgw.gateway.udp.sessions.active", active, AtomicLong::get)
                .description("UDP client sessions open now").register(registry);
        Gauge.builder("mpgw.gateway.udp.reply.sockets", replySockets, AtomicLong::get)
                .description("Transparent reply sockets open now").register(registry);
        Gauge.builder("mpgw.gateway.udp.queued.bytes", queued, AtomicLong::get)
                .description("Bytes of datagrams queued in the gateway now (limits.udp-queued-bytes)")
                .register(registry);
        sessions = Counter.builder("mpgw.gateway.udp.sessions").description("UDP sessions opened").register(registry);
        datagramsUp = datagrams(registry, "up");
        datagramsDown = datagrams(registry, "down");
        bytes = new ByteCounters(registry, "mpgw.gateway.udp.bytes",
                "UDP payload bytes passed on (up: client to router B)");
        for (UdpDrop d : UdpDrop.values()) {
            drops.put(d, Counter.builder("mpgw.gateway.udp.drops").tag("reason", d.tag())
                    .description("Datagrams dropped by the gateway").register(registry));
        }
    }

    private static Counter datagrams(MeterRegistry registry, String direction) {
        return Counter.builder("mpgw.gateway.udp.datagrams").tag("direction", direction)
                .description("Datagrams passed on (up: client to router B)").register(registry);
    }

    @Override
    public void sessionOpened() {
        active.incrementAndGet();
        sessions.increment();
    }

    @Override
    public void sessionClosed() {
        active.decrementAndGet();
    }

    @Override
    public void datagram(boolean up, int bytes) {
        (up ? datagramsUp : datagramsDown).increment();
        this.bytes.add(up ? bytes : 0, up ? 0 : bytes);
    }

    @Override
    public void dropped(UdpDrop reason) {
        drops.get(reason).increment();
    }

    @Override
    public void queuedBytes(long delta) {
        queued.addAndGet(delta);
    }

    @Override
    public void replySockets(int delta) {
        replySockets.addAndGet(delta);
    }
}
