package mpgw.gateway.scripts;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Runs one external command to completion and captures its output.
 *
 * <p>Contract: every run is bounded by a timeout (the process is killed when it expires); stdin is
 * closed at once unless input is given. Thread-safe: holds no state.
 */
final class Cmd {
  static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

  /** The outcome of one command. */
  record Result(List<String> command, int exit, String out, String err) {
    /** Fails the test with the command, exit code and both streams unless the exit code is 0. */
    Result assertOk() {
      if (exit != 0) {
        fail(describe());
      }
      return this;
    }

    String describe() {
      return String.join(" ", command) + "\n  exit=" + exit + "\n  stdout:\n" + out + "\n  stderr:\n" + err;
    }
  }

  private Cmd() {}

  static Result run(String... command) {
    return run(DEFAULT_TIMEOUT, null, command);
  }

  /** Runs {@code command} inside network namespace {@code ns}. */
  static Result inNs(String ns, String... command) {
    return run(prefixNs(ns, command));
  }

  static String[] prefixNs(String ns, String... command) {
    List<String> all = new ArrayList<>(List.of("ip", "netns", "exec", ns));
    all.addAll(Arrays.asList(command));
    return all.toArray(String[]::new);
  }

  static Result run(Duration timeout, String input, String... command) {
    ProcessBuilder pb = new ProcessBuilder(command);
    try {
      Process p = pb.start();
      CompletableFuture<String> out = drain(p.getInputStream());
      CompletableFuture<String> err = drain(p.getErrorStream());
      try (var stdin = p.getOutputStream()) {
        if (input != null) {
          stdin.write(input.getBytes(StandardCharsets.UTF_8));
        }
      }
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
        p.waitFor(5, TimeUnit.SECONDS);
        fail("timed out after " + timeout + ": " + String.join(" ", command));
      }
      return new Result(List.of(command), p.exitValue(), out.join(), err.join());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run " + String.join(" ", command), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted running " + String.join(" ", command), e);
    }
  }

  /** Reads a stream to its end on a background thread, so a chatty process never blocks on a full pipe. */
  static CompletableFuture<String> drain(InputStream in) {
    return CompletableFuture.supplyAsync(() -> {
      try (in) {
        return new String(in.readAllBytes(), StandardCharsets.UTF_8);
      } catch (IOException e) {
        return "<read failed: " + e.getMessage() + ">";
      }
    });
  }
}
