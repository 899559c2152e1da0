package mpgw.status;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.config.LoggerConfig;
import org.apache.logging.log4j.core.config.Property;

/**
 * The daemon's last {@link #CAPACITY} warnings and errors, for the status page: a log4j appender on the root logger
 * that keeps WARN and above in a ring. It sees exactly the lines the daemon logs, so what a peer can trigger is
 * already rate-limited ({@code mpgw.log.LogLimiter}) and its bytes already escaped ({@code LogText}) before they get
 * here; each message is also cut to {@link #MAX_MESSAGE} characters. Thread-safe.
 */
public final class RecentErrors extends AbstractAppender {
    public static final int CAPACITY = 20;
    public static final int MAX_MESSAGE = 400;
    private static final String NAME = "mpgw-status-recent-errors";

    /** One logged warning or error. */
    public record Entry(Instant time, String level, String logger, String message) {
    }

    private final ArrayDeque<Entry> entries = new ArrayDeque<>(CAPACITY);

    private RecentErrors() {
        super(NAME, null, null, true, Property.EMPTY_ARRAY);
    }

    /** Attaches a ring to the root logger of the running log4j configuration (once per process) and returns it. */
    public static synchronized RecentErrors attach() {
        LoggerContext context = (LoggerContext) LogManager.getContext(false);
        Configuration config = context.getConfiguration();
        if (config.getAppender(NAME) instanceof RecentErrors existing) {
            return existing;
        }
        RecentErrors ring = new RecentErrors();
        ring.start();
        config.addAppender(ring);
        LoggerConfig root = config.getRootLogger();
        root.addAppender(ring, Level.WARN, null);
        context.updateLoggers();
        return ring;
    }

    @Override
    public void append(LogEvent event) {
        if (!event.getLevel().isMoreSpecificThan(Level.WARN)) {
            return;
        }
        String message = event.getMessage().getFormattedMessage();
        if (message.length() > MAX_MESSAGE) {
            message = message.substring(0, MAX_MESSAGE) + "...";
        }
        Entry e = new Entry(Instant.ofEpochMilli(event.getTimeMillis()), event.getLevel().name(),
                event.getLoggerName(), message);
        synchronized (entries) {
            if (entries.size() == CAPACITY) {
                entries.removeFirst();
            }
            entries.addLast(e);
        }
    }

    /** The kept entries, newest first. */
    public List<Entry> newestFirst() {
        synchronized (entries) {
            List<Entry> out = new ArrayList<>(entries);
            java.util.Collections.reverse(out);
            return out;
        }
    }
}
