package mpgw.paths;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs one short system tool ({@code ip}, {@code nft}, {@code iptables}) in this process's network namespace and
 * returns its output (stdout and stderr). Bounded to 5 s; a non-zero exit becomes an {@link IOException} carrying
 * the command and its message.
 */
public final class SystemCommand {
    private static final long TIMEOUT_SECONDS = 5;

    private SystemCommand() {
    }

    /** {@code ip ARGS...} */
    public static String ip(String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of("ip"));
        command.addAll(List.of(args));
        return run(command);
    }

    public static String run(List<String> command) throws IOException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getOutputStream().close();
        // Read while it runs: a command with more output than the pipe holds would otherwise never finish.
        CompletableFuture<String> output = CompletableFuture.supplyAsync(() -> {
            try {
                return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                return "";
            }
        });
        String out;
        try {
            if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("'" + String.join(" ", command) + "' did not finish in " + TIMEOUT_SECONDS + " s");
            }
            out = output.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted: " + String.join(" ", command), e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IOException("cannot read the output of '" + String.join(" ", command) + "'", e);
        }
        if (p.exitValue() != 0) {
            throw new IOException("'" + String.join(" ", command) + "' failed: " + out.trim());
        }
        return out;
    }
}
