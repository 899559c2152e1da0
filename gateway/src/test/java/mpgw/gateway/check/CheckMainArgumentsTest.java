package mpgw.gateway.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code mpgw check}'s command line: --help, and bad arguments as one line with status 2 before any check runs. */
class CheckMainArgumentsTest {
    private record Result(int status, String out, String err) {
    }

    private static Result run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = CheckMain.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void helpNamesEveryOption() {
        Result help = run("--help");
        assertEquals(0, help.status);
        assertTrue(help.out.startsWith("Usage: mpgw check [-h] --config=FILE [--subflows=N]"), help.out);
        assertTrue(help.out.contains("Diagnoses this host"), help.out);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "--bogus                      | Unknown option: '--bogus'",
        "--subflows                   | Missing required parameter for option '--subflows' (N)",
        "--config x.conf --subflows two | Invalid value for option '--subflows': 'two' is not an int",
        "--config x.conf --subflows -1  | --subflows must be 1 or more, got -1",
        "--subflows 3                 | Missing required option: '--config=FILE'",
    })
    void aBadArgumentIsOneLineAndStatus2(String args, String reason) {
        Result r = run(args.trim().split(" +"));
        assertEquals(2, r.status, r.err);
        assertEquals("check: " + reason + " (see 'mpgw check --help')" + System.lineSeparator(), r.err);
        assertEquals("", r.out, "no check ran");
    }
}
