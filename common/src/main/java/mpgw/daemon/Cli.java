package mpgw.daemon;

import java.io.PrintStream;
import java.util.List;
import java.util.OptionalInt;
import picocli.CommandLine;

/**
 * Command-line parsing for every {@code mpgw} subcommand, with picocli: the subcommand's options are a class
 * annotated with {@link CommandLine.Command} and {@link CommandLine.Option} (which writes its {@code --help}), and
 * this class gives them one behaviour. {@code -h}/{@code --help} prints the subcommand's usage to {@code out}; a bad
 * argument (unknown option, missing value, a value of the wrong type, a required option left out) prints one line
 * to {@code err}, {@code NAME: REASON (see 'mpgw NAME --help')}, without a stack trace, and the status is
 * {@link #EXIT_USAGE}.
 *
 * <p>Stateless.
 */
public final class Cli {
    /** Exit status of a usage error, for every subcommand; config errors use it too. */
    public static final int EXIT_USAGE = 2;

    private Cli() {
    }

    /**
     * Parses {@code args} into {@code options}.
     *
     * @return empty when the subcommand should run with the parsed options; otherwise the status to exit with
     *         (0 after {@code --help}, {@link #EXIT_USAGE} after a bad argument, already reported)
     */
    public static OptionalInt parse(String name, Object options, String[] args, PrintStream out, PrintStream err) {
        return parse(name, null, options, args, out, err);
    }

    /** As {@link #parse(String, Object, String[], PrintStream, PrintStream)}, with the help's description line. */
    public static OptionalInt parse(String name, String description, Object options, String[] args, PrintStream out,
                                    PrintStream err) {
        CommandLine line = new CommandLine(options).setCommandName("mpgw " + name);
        if (description != null) {
            line.getCommandSpec().usageMessage().description(description);
        }
        try {
            line.parseArgs(args);
        } catch (CommandLine.ParameterException e) {
            // picocli checks required options before it reports arguments it did not know; the unknown one is the
            // mistake to name ("--conifg" leaves --config missing).
            List<String> unknown = line.getUnmatchedArguments();
            String reason = e.getMessage();
            if (e instanceof CommandLine.MissingParameterException && !unknown.isEmpty()) {
                reason = (unknown.get(0).startsWith("-") ? "Unknown option: '" : "Unknown argument: '")
                        + unknown.get(0) + "'";
            }
            err.println(name + ": " + reason + " (see 'mpgw " + name + " --help')");
            return OptionalInt.of(EXIT_USAGE);
        }
        if (line.isUsageHelpRequested()) {
            line.usage(out);
            return OptionalInt.of(0);
        }
        return OptionalInt.empty();
    }
}
