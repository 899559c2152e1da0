package mpgw.gateway.upstream.pool;

import java.time.Duration;
import mpgw.config.ConfigReader;

/**
 * {@code gateway.upstream.pool}: warm MPTCP connections to the socks-server (see {@link UpstreamPool}).
 *
 * @param size          members kept ready, spread over the event loops; 0 = no pool
 * @param maxIdle       a member unused for this long is closed and replaced (must stay below the server's wait
 *                      for the request after the greeting: 10 s on mpgw's server, timeouts.handshake)
 * @param minSubflows   a member is handed out once this many subflows are established (or after joinWait), and
 *                      replaced when it drops below
 * @param joinWait      how long a new member waits for its subflows before it is used anyway
 * @param checkInterval how often idle members are checked
 */
public record PoolSettings(int size, Duration maxIdle, int minSubflows, Duration joinWait, Duration checkInterval) {
    public boolean enabled() {
        return size > 0;
    }

    /** The same pool with {@code size} members (the UDP half's pool: {@code udp.pool-size}). */
    public PoolSettings withSize(int size) {
        return new PoolSettings(size, maxIdle, minSubflows, joinWait, checkInterval);
    }

    public static PoolSettings from(ConfigReader c) {
        PoolSettings s = new PoolSettings(c.intIn("size", 0, 4096), c.duration("max-idle", false),
                c.intIn("min-subflows", 1, 8), c.duration("join-wait", true), c.duration("check-interval", false));
        if (s.checkInterval().compareTo(s.maxIdle()) >= 0) {
            throw c.error("check-interval", "must be shorter than max-idle (" + s.maxIdle().toMillis() + " ms)");
        }
        return s;
    }
}
