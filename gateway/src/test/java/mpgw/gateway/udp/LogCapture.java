package mpgw.gateway.udp;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Property;

/**
 * Collects the log events of this JVM (the in-process gateway of the UDP tests) while open, so a test can count
 * the lines it was promised. Thread-safe: events arrive on the gateway's event loops.
 */
final class LogCapture extends AbstractAppender implements AutoCloseable {
    private final List<LogEvent> events = new CopyOnWriteArrayList<>();

    private LogCapture() {
        super("udp-test-capture", null, null, true, Property.EMPTY_ARRAY);
    }

    static LogCapture open() {
        LogCapture capture = new LogCapture();
        capture.start();
        LoggerContext ctx = (LoggerContext) LogManager.getContext(false);
        ctx.getConfiguration().getRootLogger().addAppender(capture, Level.ALL, null);
        ctx.updateLoggers();
        return capture;
    }

    @Override
    public void append(LogEvent event) {
        events.add(event.toImmutable());
    }

    /** The messages logged at WARN or worse that contain {@code text}. */
    List<String> warnings(String text) {
        return events.stream()
                .filter(e -> e.getLevel().isMoreSpecificThan(Level.WARN))
                .map(e -> e.getMessage().getFormattedMessage())
                .filter(m -> m.contains(text))
                .toList();
    }

    /** Events at WARN or worse, or carrying a throwable, as text ({@code " / "} and the throwable when there is one). */
    List<String> problems() {
        return events.stream()
                .filter(e -> e.getThrown() != null || e.getLevel().isMoreSpecificThan(Level.WARN))
                .map(e -> e.getMessage().getFormattedMessage() + (e.getThrown() == null ? "" : " / " + e.getThrown()))
                .toList();
    }

    @Override
    public void close() {
        LoggerContext ctx = (LoggerContext) LogManager.getContext(false);
        ctx.getConfiguration().getRootLogger().removeAppender(getName());
        ctx.updateLoggers();
        stop();
    }
}
