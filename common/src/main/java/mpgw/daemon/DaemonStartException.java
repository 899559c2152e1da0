package mpgw.daemon;

/** A daemon could not start; the message says what and why, and is all the user sees (no stack trace). */
public class DaemonStartException extends Exception {
    public DaemonStartException(String message, Throwable cause) {
        super(message, cause, false, false);
    }
}
