package mpgw.status;

import java.nio.file.Path;
import java.time.Instant;

/**
 * What the status page says about the process itself: which daemon, its version (the jar's
 * {@code Implementation-Version}, "dev" in a source tree), the config file it was started with, and when.
 *
 * <p>{@link mpgw.daemon.DaemonCommand} records it once at start ({@link #record}); the status page reads it.
 */
public record DaemonIdentity(String daemon, String version, String configFile, Instant started) {

    private static volatile DaemonIdentity current = new DaemonIdentity("mpgw", jarVersion(), "", Instant.now());

    /** Records the running daemon's name and config file (absolute path); called once, at start. */
    public static void record(String daemon, Path config) {
        current = new DaemonIdentity(daemon, jarVersion(), config.toAbsolutePath().normalize().toString(), Instant.now());
    }

    public static DaemonIdentity current() {
        return current;
    }

    private static String jarVersion() {
        String v = DaemonIdentity.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }
}
