package mpgw.testbed;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * What a test class started in its testbed (daemons, services, the testbed itself), closed last first; one that
 * fails to close does not keep the others open.
 */
public final class Teardown implements AutoCloseable {
    private final Deque<AutoCloseable> started = new ArrayDeque<>();

    public <T extends AutoCloseable> T add(T item) {
        started.push(item);
        return item;
    }

    /**
     * Closes everything; the first failure (a daemon that crashed or did not stop on SIGTERM, say) is thrown once
     * the rest is closed, the others added to it as suppressed.
     */
    @Override
    public void close() {
        Throwable first = null;
        while (!started.isEmpty()) {
            try {
                started.pop().close();
            } catch (Exception | AssertionError e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (first instanceof AssertionError a) {
            throw a;
        }
        if (first != null) {
            throw new AssertionError("teardown failed: " + first, first);
        }
    }
}
