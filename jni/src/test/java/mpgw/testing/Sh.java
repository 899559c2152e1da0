package mpgw.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs a command for a test, bounded in time; its output comes back and a failure names the command. */
public final class Sh {
    private Sh() {
    }

    public record Result(int exitCode, String output) {
    }

    public static Result run(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getOutputStream().close();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("timed out: " + String.join(" ", command));
        }
        return new Result(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    }

    /** Runs {@code bash -c script} and fails unless it exits 0. */
    public static String check(String script) throws IOException, InterruptedException {
        Result r = run(List.of("bash", "-c", script));
        if (r.exitCode() != 0) {
            throw new IOException("exit " + r.exitCode() + ": " + script + "\n" + r.output());
        }
        return r.output();
    }
}
