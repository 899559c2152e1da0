package mpgw.paths;

import java.time.Duration;
import java.util.Locale;
import mpgw.config.ConfigReader;

/** The {@code path-watcher} block of either daemon (documented in each reference.conf). */
public record PathWatcherSettings(Mode mode, Duration reannounceDelay) {
    /** {@code enabled}: on, off, or auto (on when this host has endpoints to re-announce). */
    public enum Mode { ON, OFF, AUTO }

    public static PathWatcherSettings from(ConfigReader c) {
        String enabled = c.oneOf("enabled", "auto", "on", "off", "true", "false");
        Mode mode = switch (enabled) {
            case "true" -> Mode.ON;
            case "false" -> Mode.OFF;
            default -> Mode.valueOf(enabled.toUpperCase(Locale.ROOT));
        };
        return new PathWatcherSettings(mode, c.duration("reannounce-delay", true));
    }
}
