package mpgw.daemon;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.OptionalInt;
import java.util.concurrent.CountDownLatch;
import mpgw.config.ConfigError;
import mpgw.status.DaemonIdentity;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The command line both daemons share, {@code mpgw NAME --config FILE}: argument parsing ({@link Cli}), loading the
 * settings, starting, and waiting for SIGTERM. Exit statuses: 0 after SIGTERM or for {@code --help};
 * {@link Cli#EXIT_USAGE} for a usage or config error (the message names the key and file, never a stack trace);
 * {@link #EXIT_START} when the daemon cannot start (a listen port in use, MPTCP required but refused, no permission).
 */
public final class DaemonCommand {
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

    /** The options of {@code mpgw server} and {@code mpgw gateway}. */
    @Command(sortOptions = false)
    static final class Options {
        @Option(names = "--config", paramLabel = "FILE", required = true,
                description = "the daemon's config file (HOCON; every key and its default is in its reference.conf)")
        Path config;

        @Option(names = {"-h", "--help"}, usageHelp = true, description = "print this help and exit")
        boolean help;
    }

    /**
     * Runs daemon {@code name} and blocks until SIGTERM; returns the exit status.
     *
     * @param description one line for {@code --help}: what the daemon is
     */
    public static <S> int run(String name, String description, String[] args, PrintStream out, PrintStream err,
                              SettingsLoader<S> loader, Starter<S> starter) {
        Options options = new Options();
        OptionalInt exit = Cli.parse(name, description, options, args, out, err);
        if (exit.isPresent()) {
            return exit.getAsInt();
        }
        Path config = options.config;
        S settings;
        try {
            settings = loader.load(config);
        } catch (ConfigError e) {
            err.println(name + ": " + e.getMessage());
            return Cli.EXIT_USAGE;
        }
        DaemonIdentity.record(name, config);
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
