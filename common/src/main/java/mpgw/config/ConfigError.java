package mpgw.config;

/**
 * A configuration problem a person must fix: the message names the file and, when there is one, the key.
 * Daemons print {@link #getMessage()} alone (no stack trace) and exit with status 2.
 */
public final class ConfigError extends RuntimeException {
    public ConfigError(String message) {
        super(message, null, false, false);
    }

    public ConfigError(String message, Throwable cause) {
        super(message, cause, false, false);
    }
}
