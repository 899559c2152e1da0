package mpgw.gateway.udp;

import org.apache.logging.log4j.Logger;

/**
 * A warning that repeats per datagram when something upstream is down, logged at most once per interval with
 * the number of repeats it stood for. Event-loop only (the UDP path has one loop).
 */
final class RateLimitedLog {
    private final long intervalNanos;
    private long lastNanos;
    private boolean logged;
    private int suppressed;

    RateLimitedLog(long intervalNanos) {
        this.intervalNanos = intervalNanos;
    }

    void log(Logger log, String message) {
        long now = System.nanoTime();
        if (logged && now - lastNanos < intervalNanos) {
            suppressed++;
            return;
        }
        log.warn(suppressed == 0 ? message : message + " (and " + suppressed + " more like it)");
        logged = true;
        lastNanos = now;
        suppressed = 0;
    }
}
