package mpgw.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@link Sh}: large outputs on both streams, exit status, and the time bound. No root needed. */
class ShTest {

    /** 1 MiB on stdout and 1 MiB on stderr: far beyond a pipe's 64 KiB, so the output must be read as it comes. */
    @Test
    @Timeout(30)
    void outputBeyondThePipeBufferOnBothStreamsDoesNotBlock() throws Exception {
        Sh.Result r = Sh.run(List.of("bash", "-c",
                "head -c 1048576 /dev/zero | tr '\\0' o; head -c 1048576 /dev/zero | tr '\\0' e >&2; exit 3"));
        assertEquals(3, r.exitCode());
        assertEquals(2 * 1048576, r.output().length());
        assertEquals(1048576, r.output().chars().filter(c -> c == 'o').count());
        assertEquals(1048576, r.output().chars().filter(c -> c == 'e').count());
    }

    @Test
    @Timeout(30)
    void checkReturnsTheOutputAndFailsNamingTheScript() throws Exception {
        assertEquals("hello\n", Sh.check("echo hello"));
        IOException e = assertThrows(IOException.class, () -> Sh.check("echo oops; exit 7"));
        assertTrue(e.getMessage().startsWith("exit 7: echo oops; exit 7\noops"), e.getMessage());
    }

    @Test
    @Timeout(30)
    void aCommandThatOutlivesItsTimeoutIsKilledAndNamed() throws Exception {
        long start = System.nanoTime();
        IOException e = assertThrows(IOException.class,
                () -> Sh.run(List.of("bash", "-c", "echo started; sleep 60"), Duration.ofMillis(500)));
        assertTrue(System.nanoTime() - start < 10_000_000_000L, "gave up after the timeout");
        assertTrue(e.getMessage().startsWith("timed out after 500 ms: bash -c echo started; sleep 60"), e.getMessage());
        assertTrue(e.getMessage().contains("started"), "the output so far: " + e.getMessage());
    }
}
