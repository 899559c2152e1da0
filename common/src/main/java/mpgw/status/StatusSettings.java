package mpgw.status;

import java.util.Optional;
import mpgw.config.ConfigReader;

/**
 * The status page's settings, read from a daemon's {@code metrics} section (the page is served where the metrics
 * are): {@code password}, empty for none. With a password every path of the listener, {@code /metrics} included,
 * asks for HTTP basic authentication (any user name); the password is compared in constant time and never shown.
 */
public record StatusSettings(Optional<String> password) {

    public static final StatusSettings OPEN = new StatusSettings(Optional.empty());

    /** Reads {@code password} from a daemon's {@code metrics} section. */
    public static StatusSettings from(ConfigReader metrics) {
        String password = metrics.string("password");
        return new StatusSettings(password.isEmpty() ? Optional.empty() : Optional.of(password));
    }

    @Override
    public String toString() { // a settings dump must never carry the password
        return "StatusSettings[password=" + (password.isPresent() ? "(set)" : "(none)") + "]";
    }
}
