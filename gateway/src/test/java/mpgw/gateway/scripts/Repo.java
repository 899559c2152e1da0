package mpgw.gateway.scripts;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Locates the scripts under test in the source tree.
 *
 * <p>Surefire runs with the module directory ({@code gateway/}) as working directory, so the root is
 * normally its parent; {@code -Dmpgw.repo=DIR} or {@code MPGW_REPO} override that for runs from elsewhere.
 */
final class Repo {
  private Repo() {}

  static Path root() {
    String given = System.getProperty("mpgw.repo", System.getenv("MPGW_REPO"));
    if (given != null) {
      return Path.of(given).toAbsolutePath();
    }
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      if (Files.isRegularFile(p.resolve("iptables/mpgw-rules"))) {
        return p;
      }
    }
    throw new IllegalStateException("cannot find the repository root (iptables/mpgw-rules) above "
        + Path.of("").toAbsolutePath() + "; set -Dmpgw.repo");
  }

  static String rules() {
    return root().resolve("iptables/mpgw-rules").toString();
  }

  static String endpoints() {
    return root().resolve("iptables/mpgw-endpoints").toString();
  }

  static String testbed() {
    return root().resolve("bin/testbed.sh").toString();
  }
}
