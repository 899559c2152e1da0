package mpgw.server;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Property;

/**
 * Collects every log event while open, so a test can assert that bad input produced no stack trace and no
 * warning (including Netty's "exceptionCaught() reached the tail of the pipeline").
 */
final class LogCapture extends AbstractAppender implements AutoCloseable {
    private final List<LogEvent> events = new CopyOnWriteArrayList<>();

    private LogCapture() {
        super("test-capture", null, null, true, Property.EMPTY_ARRAY);
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

    /** Events at WARN or worse, or carrying a throwable, as text. */
    List<String> problems() {
        return events.stream()
                .filter(e -> e.getThrown() != null || e.getLevel().isMoreSpecificThan(Level.WARN))
                .map(e -> e.getLevel() + " " + e.getLoggerName() + ": " + e.getMessage().getFormattedMessage()
                        + (e.getThrown() == null ? "" : " / " + e.getThrown()))
                .toList();
    }

    List<String> messages() {
        return events.stream().map(e -> e.getMessage().getFormattedMessage()).toList();
    }

    /**
     * Waits up to 5 s for the server's one line about a finished client connection ({@code conn=... client=...})
     * from the client's local port {@code clientPort}, and returns it. That line is the last thing the server
     * logs for a connection, so a check for "no warning" after it has seen everything the connection caused.
     */
    String awaitConnectionLine(int clientPort) throws InterruptedException {
        java.util.regex.Pattern line = java.util.regex.Pattern.compile("conn=\\S+ client=\\S+:" + clientPort + " .*");
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (System.nanoTime() < deadline) {
            for (String m : messages()) {
                if (line.matcher(m).matches()) {
                    return m;
                }
            }
            Thread.sleep(5); // poll interval, bounded by the deadline
        }
        throw new AssertionError("no connection line for client port " + clientPort + " within 5 s: " + messages());
    }

    @Override
    public void close() {
        LoggerContext ctx = (LoggerContext) LogManager.getContext(false);
        ctx.getConfiguration().getRootLogger().removeAppender(getName());
        ctx.updateLoggers();
        stop();
    }
}
