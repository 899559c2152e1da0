package mpgw.testing;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.util.concurrent.TimeUnit;
import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;

/**
 * Ends a test JVM that runs longer than {@code -Dmpgw.fork.timeout} seconds (the root pom passes it; 0 or unset:
 * no limit): prints every thread's stack to stderr and halts with status 1, so Surefire fails the module
 * ("The forked VM terminated without properly saying goodbye", naming the class that was running).
 *
 * <p>A backstop behind JUnit's per-test timeout for hangs outside any test method (a stuck shutdown, a
 * non-daemon thread that keeps the JVM alive). Surefire's own {@code forkedProcessTimeoutInSeconds} is set too,
 * but with Surefire 3.5.2 it did not end a fork stuck in a test (tried with a test blocked in
 * {@code accept()}; the fork ran on long past the limit), so the limit is enforced from inside the JVM as well.
 * Registered through {@code META-INF/services/org.junit.platform.launcher.LauncherSessionListener}.
 */
public final class ForkWatchdog implements LauncherSessionListener {
    static final String PROPERTY = "mpgw.fork.timeout";
    private static Thread watchdog;

    @Override
    public void launcherSessionOpened(LauncherSession session) {
        long seconds = Long.getLong(PROPERTY, 0L);
        synchronized (ForkWatchdog.class) {
            if (seconds <= 0 || watchdog != null) {
                return;
            }
            watchdog = new Thread(() -> {
                try {
                    TimeUnit.SECONDS.sleep(seconds);
                } catch (InterruptedException e) {
                    return;
                }
                System.err.println("mpgw.testing.ForkWatchdog: this test JVM ran longer than " + PROPERTY + " = "
                        + seconds + " s; halting it. Threads:");
                for (ThreadInfo t : ManagementFactory.getThreadMXBean().dumpAllThreads(false, false)) {
                    System.err.print(t);
                }
                System.err.flush();
                Runtime.getRuntime().halt(1);
            }, "mpgw-fork-watchdog");
            watchdog.setDaemon(true);
            watchdog.start();
        }
    }
}
