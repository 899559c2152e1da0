package mpgw.daemon;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import mpgw.config.ConfigError;

/**
 * The command line both daemons share, {@code mpgw NAME --config FILE}: argument parsing, loading the settings,
 * starting, and waiting for SIGTERM. Exit statuses: 0 after SIGTERM or for {@code --help}; {@link #EXIT_USAGE}
 * for a usage or config error (the message names the key and file, never a stack trace); {@link #EXIT_START} when
 * the daemon cannot start (a listen port in use, MPTCP required but refused, no permission).
 */
public final class DaemonCommand {
    public static final int EXIT_USAGE = 2;
    public static final int EXIT_START = 1;

    /** Reads and validates a config file. */
    @FunctionalInterface
    public interface SettingsLoader<S> {
        S load(Path file) throws ConfigError;
    }

    /** Starts the daemon; the returned action stops it (on SIGTERM, in a shutdown hook). */
    @FunctionalInterface
    public interface Starter<S> {
        Runnable start(S settings) throws DaemonStartException;
    }

    private DaemonCommand() {
    }

    /** Runs daemon {@code name} and blocks until SIGTERM; returns the exit status. */
    public static <S> int run(String name, String[] args, PrintStream out, PrintStream err, SettingsLoader<S> loader,
                              Starter<S> starter) {
        String usage = "usage: mpgw " + name + " --config FILE";
        Path config = null;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("-h") || a.equals("--help")) {
                out.println(usage);
                return 0;
            } else if (a.equals("--config") && i + 1 < args.length) {
                config = Path.of(args[++i]);
            } else if (a.startsWith("--config=")) {
                config = Path.of(a.substring("--config=".length()));
            } else {
                err.println(name + ": " + (a.equals("--config") ? "--config needs a file" : "unknown option '" + a + "'"));
                err.println(usage);
                return EXIT_USAGE;
            }
        }
        if (config == null) {
            err.println(name + ": --config FILE is required");
            err.println(usage);
            return EXIT_USAGE;
        }
        S settings;
        try {
            settings = loader.load(config);
        } catch (ConfigError e) {
            err.println(name + ": " + e.getMessage());
            return EXIT_USAGE;
        }
        try {
            Runnable stop = starter.start(settings);
            CountDownLatch stopped = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                stop.run();
                stopped.countDown();
            }, name + "-shutdown"));
            stopped.await();
            return 0;
        } catch (DaemonStartException e) {
            err.println(name + ": " + e.getMessage());
            return EXIT_START;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 0;
        }
    }
}
