package mpgw.gateway.scripts;

import static org.junit.jupiter.api.Assertions.fail;

/** Substring assertions whose failure message shows the whole text, which is what one needs to debug a ruleset. */
final class Expect {
  private Expect() {}

  static void contains(String text, String... needles) {
    for (String needle : needles) {
      if (!text.contains(needle)) {
        fail("expected to find '" + needle + "' in:\n" + text);
      }
    }
  }

  static void lacks(String text, String... needles) {
    for (String needle : needles) {
      if (text.contains(needle)) {
        fail("expected NOT to find '" + needle + "' in:\n" + text);
      }
    }
  }
}
