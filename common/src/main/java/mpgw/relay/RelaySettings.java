package mpgw.relay;

import java.time.Duration;
import mpgw.config.ConfigReader;

/**
 * The two tunables of {@link Relay}, read from the {@code relay} block both daemons have (documented in their
 * {@code reference.conf}, which holds the defaults). Immutable.
 *
 * @param writeStallRetry how often a stalled MPTCP write is retried ({@link WriteStallRetry}); zero = never
 * @param drainLimit      how long a closing side may go without any queued byte being written before it is closed
 */
public record RelaySettings(Duration writeStallRetry, Duration drainLimit) {

    /** Reads {@code write-stall-retry} and {@code drain-limit} from a daemon's {@code relay} block. */
    public static RelaySettings from(ConfigReader relay) {
        return new RelaySettings(relay.duration("write-stall-retry", true), relay.duration("drain-limit", false));
    }
}
