package mpgw.gateway.upstream;

import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Holds a fast-open connect back until the client's first bytes are buffered, so they ride in the SYN with the
 * SOCKS request: ends at the first read that buffered bytes, at the client's EOF, or after {@code upstream
 * .fast-open-wait}, whichever comes first, and then runs {@code then} once. A protocol where the server speaks
 * first pays the whole wait. Bytes (or the EOF) already there end it at once. {@link #cancel()} (client gone)
 * ends it without running {@code then}.
 *
 * <p>Event-loop only.
 */
final class FirstBytesWait {
    private final EarlyData early;
    private final Runnable then;
    private Future<?> timer;
    private boolean over;

    private FirstBytesWait(EarlyData early, Runnable then) {
        this.early = early;
        this.then = then;
    }

    static FirstBytesWait start(EarlyData early, EventExecutor executor, Duration wait, Runnable then) {
        FirstBytesWait w = new FirstBytesWait(early, then);
        if (early.hasArrived()) {
            w.over = true;
            then.run();
            return w;
        }
        early.onArrival(w::end);
        w.timer = executor.schedule(w::end, wait.toNanos(), TimeUnit.NANOSECONDS);
        return w;
    }

    private void end() {
        if (stop()) {
            then.run();
        }
    }

    void cancel() {
        stop();
    }

    private boolean stop() {
        if (over) {
            return false;
        }
        over = true;
        early.onArrival(null);
        if (timer != null) {
            timer.cancel(false);
        }
        return true;
    }
}
