package mpgw.testbed;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link Daemon#close()} judges how the daemon ended (plain local processes, no namespace). */
class DaemonTest {

    @Test
    void aDaemonThatStopsOnSigtermClosesQuietly() throws Exception {
        Daemon d = Daemon.start("sleeper", List.of("sleep", "30"));
        assertDoesNotThrow(d::close);
        assertDoesNotThrow(d::close, "closing twice is harmless");
    }

    @Test
    void anotherStatusAfterSigtermFailsNamingTheDaemonWithItsLogTail() throws Exception {
        Daemon d = Daemon.start("trapper", List.of("bash", "-c",
                "trap 'echo dying badly; kill $!; exit 3' TERM; echo ready; sleep 30 & wait"));
        d.awaitLine("ready", Duration.ofSeconds(10));
        AssertionError e = assertThrows(AssertionError.class, d::close);
        assertTrue(e.getMessage().contains("trapper") && e.getMessage().contains("exited with status 3 after SIGTERM")
                && e.getMessage().contains("dying badly"), e.getMessage());
    }

    @Test
    void aDaemonThatDiedBeforeItWasStoppedFails() throws Exception {
        Daemon d = Daemon.start("crasher", List.of("bash", "-c", "echo boom; exit 7"));
        d.awaitLine("boom", Duration.ofSeconds(10));
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (d.isAlive() && System.nanoTime() < deadline) {
            Thread.sleep(20); // poll interval, bounded by the deadline
        }
        AssertionError e = assertThrows(AssertionError.class, d::close);
        assertTrue(e.getMessage().contains("crasher") && e.getMessage().contains("already exited with status 7")
                && e.getMessage().contains("boom"), e.getMessage());
    }

    @Test
    void aCommandWhoseExitWasAwaitedIsNotJudgedAgain() throws Exception {
        Daemon d = Daemon.start("command", List.of("bash", "-c", "exit 1"));
        assertEquals(1, d.awaitExit(Duration.ofSeconds(10)));
        assertDoesNotThrow(d::close);
    }

    @Test
    void ourDaemonsMustExitWith143() throws Exception {
        Daemon d = Daemon.start("clean-exit", List.of("bash", "-c", "trap 'kill $!; exit 0' TERM; echo ready; sleep 30 & wait"))
                .expectStopStatus(Daemon.STOPPED_BY_SIGTERM);
        d.awaitLine("ready", Duration.ofSeconds(10));
        AssertionError e = assertThrows(AssertionError.class, d::close);
        assertTrue(e.getMessage().contains("exited with status 0 after SIGTERM, expected [143]"), e.getMessage());
    }
}
