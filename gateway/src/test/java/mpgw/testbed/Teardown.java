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

    @Override
    public void close() {
        while (!started.isEmpty()) {
            try {
                started.pop().close();
            } catch (Exception e) {
                // the rest still closes
            }
        }
    }
}
