package mpgw.server;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The time bounds of the socks-server tests, in one place. They are what the 2-core CI machine holds with
 * margin while the test lock is held (the measurements are in the commit that set them); the documented
 * figures belong to the benchmarks, not here. Every checked duration is also printed ({@code timing ...} in the
 * class's {@code -output.txt} report), so a run shows how close it came.
 */
final class Bounds {
    /**
     * "At once": from the moment the event that should end a connection happened on loopback (a reply to read,
     * a refused login, a closed client) until the server's close (EOF or reset) is seen.
     */
    static final long AT_ONCE_MS = 250;
    /** Beyond a configured timer (handshake, idle, connect, UDP idle, grace period): when it may fire at the latest. */
    static final long TIMER_LATE_MS = 350;
    /** Before a configured timer: how early a duration measured by the test may see it fire (clock granularity). */
    static final long TIMER_EARLY_MS = 50;

    private Bounds() {
    }

    /** Asserts {@code min <= millis <= max} and prints the figure; returns {@code millis}. */
    static long check(String what, long millis, long min, long max) {
        System.out.printf("timing %s: %d ms (bounds %d..%d ms)%n", what, millis, min, max);
        assertTrue(millis >= min && millis <= max,
                what + " took " + millis + " ms, expected " + min + ".." + max + " ms");
        return millis;
    }

    /** A timer of {@code configuredMillis} fired: within {@link #TIMER_EARLY_MS} before to {@link #TIMER_LATE_MS} after. */
    static long timer(String what, long millis, long configuredMillis) {
        return check(what, millis, configuredMillis - TIMER_EARLY_MS, configuredMillis + TIMER_LATE_MS);
    }

    static long millisSince(long startNanos) {
        return (System.nanoTime() - startNanos) / 1_000_000;
    }
}
