package mpgw.log;

import java.time.Duration;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.Logger;
import org.apache.logging.log4j.message.ParameterizedMessage;

/**
 * Lets a log line that a peer can trigger at will through at most once per interval and key (a client address,
 * a listener), and makes the next line that gets through say how many it stood for. A LAN host or anything that
 * reaches router B can then cost the log one line per interval and key, never one per packet or connection.
 *
 * <p>The key table is bounded: when it is full of keys seen within the interval, further keys share one overflow
 * slot, so a peer spraying source addresses cannot grow it either. Thread-safe; a call costs one map lookup.
 */
public final class LogLimiter {
    private static final Object OVERFLOW = new Object();

    private final long intervalNanos;
    private final int maxKeys;
    private final LongSupplier nanoClock;
    private final Map<Object, Slot> slots = new ConcurrentHashMap<>();

    public LogLimiter(Duration interval, int maxKeys) {
        this(interval, maxKeys, System::nanoTime);
    }

    LogLimiter(Duration interval, int maxKeys, LongSupplier nanoClock) {
        if (interval.isNegative() || interval.isZero() || maxKeys < 1) {
            throw new IllegalArgumentException("interval must be > 0 and maxKeys >= 1");
        }
        this.intervalNanos = interval.toNanos();
        this.maxKeys = maxKeys;
        this.nanoClock = nanoClock;
    }

    /**
     * Logs {@code format} with {@code params} (log4j's {@code {}} placeholders) unless a line for {@code key} got
     * through less than one interval ago; a line that gets through after suppressed ones ends with
     * {@code (N more like it since the last line)}.
     *
     * @return whether the line was logged
     */
    public boolean log(Logger log, Level level, Object key, String format, Object... params) {
        long suppressed = admit(key);
        if (suppressed < 0) {
            return false;
        }
        if (log.isEnabled(level)) {
            String line = ParameterizedMessage.format(format, params);
            log.log(level, suppressed == 0 ? line : line + " (" + suppressed + " more like it since the last line)");
        }
        return true;
    }

    /**
     * Counts one event for {@code key}: returns -1 when it falls inside the interval of the last admitted one
     * (suppressed), otherwise the number of events suppressed since that one (0 or more), and starts a new interval.
     */
    public long admit(Object key) {
        long now = nanoClock.getAsLong();
        Slot slot = slots.get(key);
        if (slot == null) {
            if (slots.size() >= maxKeys) {
                sweep(now);
            }
            slot = slots.size() < maxKeys ? slots.computeIfAbsent(key, k -> new Slot())
                    : slots.computeIfAbsent(OVERFLOW, k -> new Slot());
        }
        return slot.admit(now, intervalNanos);
    }

    /** The number of keys held now (for tests and a gauge). */
    public int keys() {
        return slots.size();
    }

    private void sweep(long now) {
        for (Iterator<Slot> it = slots.values().iterator(); it.hasNext(); ) {
            if (it.next().idleSince(now, intervalNanos)) {
                it.remove();
            }
        }
    }

    private static final class Slot {
        private long lastNanos;
        private boolean admittedOnce;
        private long suppressed;

        synchronized long admit(long now, long intervalNanos) {
            if (admittedOnce && now - lastNanos < intervalNanos) {
                suppressed++;
                return -1;
            }
            long reported = suppressed;
            admittedOnce = true;
            lastNanos = now;
            suppressed = 0;
            return reported;
        }

        /** Idle: its last line is an interval old and nothing was suppressed since (nothing left to report). */
        synchronized boolean idleSince(long now, long intervalNanos) {
            return now - lastNanos >= intervalNanos && suppressed == 0;
        }
    }
}
