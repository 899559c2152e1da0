package mpgw.testbed;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The repository root, where the scripts the tests drive live ({@code bin/testbed.sh}, {@code iptables/*}).
 *
 * <p>Surefire runs with a module directory as working directory, so the root is the nearest parent holding
 * {@code bin/testbed.sh}; {@code -Dmpgw.repo=DIR} or {@code MPGW_REPO} override that.
 */
public final class SourceTree {
    private SourceTree() {
    }

    public static Path root() {
        String given = System.getProperty("mpgw.repo", System.getenv("MPGW_REPO"));
        if (given != null) {
            return Path.of(given).toAbsolutePath();
        }
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("bin/testbed.sh"))) {
                return p;
            }
        }
        throw new IllegalStateException("cannot find the repository root (bin/testbed.sh) above "
                + Path.of("").toAbsolutePath() + "; set -Dmpgw.repo");
    }

    public static String script(String relative) {
        return root().resolve(relative).toString();
    }
}
