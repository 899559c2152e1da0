package mpgw.relay;

/**
 * Receives a relay's byte counts as they move, so metrics show a long flow's bytes while it runs and not only
 * when it ends. Called on the relay's event loop for every read; must be cheap, must not block or throw.
 */
@FunctionalInterface
public interface ByteMeter {
    ByteMeter NONE = (up, down) -> {
    };

    /** {@code up}: bytes read from the downstream side; {@code down}: bytes read from the upstream side. */
    void add(long up, long down);
}
