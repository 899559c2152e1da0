package mpgw.server;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The time bounds of the socks-server tests, in one place. They are what the 2-core CI machine holds with
 * margin: measured in three runs of {@code mvn -o -B -pl socks-server -am verify -Dtest='mpgw/server/*Test'}
 * (73 tests) on it while nothing else ran tests (commit 570e4ff; the figures are quoted at each bound); the
 * documented figures belong to the benchmarks, not here. Every checked duration is also printed ({@code timing ...} in the
 * class's {@code -output.txt} report), so a run shows how close it came.
 */
final class Bounds {
    /**
     * "At once": from the moment the event that should end a connection happened on loopback (a reply to read,
     * a refused login, a closed client) until the server's close (EOF or reset) is seen.
     */
    static final long AT_ONCE_MS = 100; // measured: 0-6 ms for the closes after a reply, 13 ms at most (BIND)
    /** Beyond a configured timer (handshake, idle, connect, UDP idle): when it may fire at the latest. */
    static final long TIMER_LATE_MS = 100; // measured: 1-11 ms late
    /**
     * Beyond {@code shutdown-grace-period}, from SIGTERM: the close of what is still open and the process's exit
     * (signal handling, a 50 ms poll, event loops shut down).
     */
    static final long SHUTDOWN_LATE_MS = 600; // measured: close 29-189 ms late, exit 65-232 ms late
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
