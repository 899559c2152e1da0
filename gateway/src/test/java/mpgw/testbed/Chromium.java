package mpgw.testbed;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Debian's headless {@code chromium} (bin/deps.txt, purpose test) loading a page inside a namespace: the DOM after
 * the page's scripts ran for a while of virtual time, the browser console's lines (errors included), and
 * screenshots. Runs as root, hence {@code --no-sandbox}; each run has its own throwaway profile directory.
 */
public final class Chromium {
    private static final Pattern CONSOLE = Pattern.compile(":CONSOLE(?::\\d+|\\(\\d+\\))\\] (.*)");

    private final Testbed testbed;
    private final Path work;

    public Chromium(Testbed testbed, Path work) {
        this.testbed = testbed;
        this.work = work;
    }

    /** What a page load left: the serialized DOM and every line the page wrote to the browser console. */
    public record Page(String dom, List<String> console) {
    }

    /** Loads {@code url} in {@code ns} and lets its scripts run for {@code virtualMillis} of virtual time. */
    public Page load(String ns, String url, int virtualMillis) throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory(work, "chromium-");
        Path log = dir.resolve("stderr.txt");
        String dom = testbed.exec(ns, command(dir) + " --enable-logging=stderr --v=0 --virtual-time-budget="
                + virtualMillis + " --dump-dom '" + url + "' 2>" + log);
        String stderr = Files.readString(log, StandardCharsets.UTF_8);
        List<String> console = stderr.lines().map(CONSOLE::matcher).filter(Matcher::find).map(m -> m.group(1))
                .toList();
        return new Page(dom, console);
    }

    /** Saves a PNG of {@code url} as it looks after {@code virtualMillis} of virtual time. */
    public void screenshot(String ns, String url, int virtualMillis, Path png) throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory(work, "chromium-");
        testbed.exec(ns, command(dir) + " --hide-scrollbars --window-size=1100,1250 --virtual-time-budget="
                + virtualMillis + " --screenshot=" + png.toAbsolutePath() + " '" + url + "' 2>/dev/null");
        if (!Files.isRegularFile(png) || Files.size(png) < 1000) {
            throw new AssertionError("chromium wrote no screenshot of " + url + " to " + png);
        }
    }

    private static String command(Path profile) {
        return "timeout 50 chromium --headless --no-sandbox --disable-gpu --no-first-run --disable-extensions"
                + " --user-data-dir=" + profile.resolve("profile");
    }
}
