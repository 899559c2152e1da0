package mpgw.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import mpgw.relay.ByteMeter;

/**
 * The two counters of one byte series, {@code NAME_total{direction="up"|"down"}} (up: from the client towards the
 * destination), as both daemons expose them ({@code mpgw_gateway_bytes_total}, {@code mpgw_server_bytes_total},
 * {@code mpgw_gateway_udp_bytes_total}). A {@link ByteMeter}, so a relay can report into it directly.
 *
 * <p>Thread-safe (Micrometer counters); cheap enough to call on every read.
 */
public final class ByteCounters implements ByteMeter {
    private final Counter up;
    private final Counter down;

    /** Registers {@code name} (Micrometer dotted form, e.g. {@code mpgw.server.bytes}) in both directions. */
    public ByteCounters(MeterRegistry registry, String name, String description) {
        this.up = counter(registry, name, "up", description);
        this.down = counter(registry, name, "down", description);
    }

    private static Counter counter(MeterRegistry registry, String name, String direction, String description) {
        return Counter.builder(name).tag("direction", direction).baseUnit("bytes").description(description)
                .register(registry);
    }

    /** Adds {@code up} and {@code down} bytes; zeros are skipped (relays report one direction at a time). */
    @Override
    public void add(long up, long down) {
        if (up > 0) {
            this.up.increment(up);
        }
        if (down > 0) {
            this.down.increment(down);
        }
    }
}
