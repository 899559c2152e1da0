package mpgw.it.harness;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One line per skipped test class on the build's console: {@code SKIPPED <class>: <why>}. Surefire sends the
 * tests' {@code System.err} to report files ({@code redirectTestOutputToFile}), so this writes to the JVM's own
 * stderr, which Surefire copies to the console as it is; a plain {@code mvn verify} without a container engine
 * then says, class by class, that the container suite did not run.
 */
public final class SkipNotice {
    private static final Set<String> ANNOUNCED = ConcurrentHashMap.newKeySet();
    private static final PrintStream CONSOLE =
            new PrintStream(new FileOutputStream(FileDescriptor.err), true, StandardCharsets.UTF_8);

    private SkipNotice() {
    }

    /** Prints {@code SKIPPED <class>: <why>} once per class; returns the line. */
    public static String announce(Class<?> testClass, String why) {
        String line = "SKIPPED " + testClass.getName() + ": " + why;
        if (ANNOUNCED.add(testClass.getName())) {
            CONSOLE.println(line);
        }
        return line;
    }
}
