package mpgw.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs a command for a test, bounded in time; its output comes back and a failure names the command.
 *
 * <p>Stdout and stderr are read while the command runs (stderr merged into stdout, each on its own thread):
 * a command that writes more than a pipe holds (64 KiB) must not block on a full pipe while we wait for it.
 */
public final class Sh {
    /** How long {@link #run(List)} waits for a command. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);

    private Sh() {
    }

    public record Result(int exitCode, String output) {
    }

    public static Result run(List<String> command) throws IOException, InterruptedException {
        return run(command, DEFAULT_TIMEOUT);
    }

    /** Runs {@code command} with stdin closed; throws (after killing it) when it runs longer than {@code timeout}. */
    public static Result run(List<String> command, Duration timeout) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getOutputStream().close();
        CompletableFuture<byte[]> output = drain(p.getInputStream(), String.join(" ", command));
        if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            p.waitFor(5, TimeUnit.SECONDS);
            throw new IOException("timed out after " + timeout.toMillis() + " ms: " + String.join(" ", command)
                    + "\n" + partial(output));
        }
        try {
            // A child that outlives the command may keep the pipe open: the output read so far is bounded too.
            return new Result(p.exitValue(), new String(output.get(10, TimeUnit.SECONDS), StandardCharsets.UTF_8));
        } catch (TimeoutException e) {
            throw new IOException("output of " + String.join(" ", command) + " still open 10 s after it exited"
                    + " (a background child holds it?)");
        } catch (ExecutionException e) {
            throw new IOException("reading the output of " + String.join(" ", command), e.getCause());
        }
    }

    /** Runs {@code bash -c script} and fails unless it exits 0. */
    public static String check(String script) throws IOException, InterruptedException {
        Result r = run(List.of("bash", "-c", script));
        if (r.exitCode() != 0) {
            throw new IOException("exit " + r.exitCode() + ": " + script + "\n" + r.output());
        }
        return r.output();
    }

    private static CompletableFuture<byte[]> drain(InputStream in, String name) {
        CompletableFuture<byte[]> done = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try (in) {
                done.complete(in.readAllBytes());
            } catch (IOException e) {
                done.completeExceptionally(new UncheckedIOException(e));
            }
        }, "sh-output: " + (name.length() > 60 ? name.substring(0, 60) : name));
        t.setDaemon(true);
        t.start();
        return done;
    }

    private static String partial(CompletableFuture<byte[]> output) {
        try {
            byte[] b = output.get(2, TimeUnit.SECONDS);
            return new String(b, 0, Math.min(b.length, 4000), StandardCharsets.UTF_8);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "(output not read)";
        } catch (ExecutionException | TimeoutException e) {
            return "(output not read)";
        }
    }
}
