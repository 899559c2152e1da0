package mpgw.gateway.upstream;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** {@link PipeliningMemory}: one verdict per server address, forgotten after {@code socks.pipelining-memory}. */
class PipeliningMemoryTest {
    private static final InetSocketAddress MICROSOCKS = new InetSocketAddress("10.1.0.2", 1085);
    private static final InetSocketAddress DANTE = new InetSocketAddress("10.1.0.2", 1080);
    private static final InetSocketAddress OTHER_LINK = new InetSocketAddress("10.2.0.2", 1085);

    /** A clock the test moves by hand. */
    private long now = 1_000;
    private final PipeliningMemory memory = new PipeliningMemory(Duration.ofMinutes(60), () -> now);

    private void advance(Duration d) {
        now += d.toNanos();
    }

    @Test
    void anUnknownServerIsNeitherDroppingNorAccepting() {
        assertFalse(memory.drops(MICROSOCKS));
        assertFalse(memory.accepts(MICROSOCKS));
        assertFalse(memory.dropsAny(List.of(MICROSOCKS, DANTE)));
    }

    @Test
    void eachServerAddressHasItsOwnVerdict() {
        assertTrue(memory.rememberDrops(MICROSOCKS), "first time: log the fix");
        memory.rememberAccepts(DANTE);
        assertTrue(memory.drops(MICROSOCKS));
        assertFalse(memory.accepts(MICROSOCKS));
        assertTrue(memory.accepts(DANTE));
        assertFalse(memory.drops(DANTE));
        assertFalse(memory.drops(OTHER_LINK), "same port on router B's other address: another key");
        assertTrue(memory.dropsAny(List.of(DANTE, MICROSOCKS)));
        assertFalse(memory.dropsAny(List.of(DANTE, OTHER_LINK)));
    }

    @Test
    void aServerAlreadyKnownToDropIsNotNewsAgainUntilItExpired() {
        assertTrue(memory.rememberDrops(MICROSOCKS));
        advance(Duration.ofMinutes(30));
        assertFalse(memory.rememberDrops(MICROSOCKS), "known: no second log line");
        advance(Duration.ofMinutes(60).minusNanos(1)); // renewed 30 min in: still known 1 ns before its end
        assertTrue(memory.drops(MICROSOCKS));
        advance(Duration.ofNanos(1));
        assertTrue(memory.rememberDrops(MICROSOCKS), "expired: news again");
    }

    @Test
    void verdictsExpireAfterTheMemory() {
        memory.rememberDrops(MICROSOCKS);
        memory.rememberAccepts(DANTE);
        advance(Duration.ofMinutes(60).minusNanos(1));
        assertTrue(memory.drops(MICROSOCKS));
        assertTrue(memory.accepts(DANTE));
        advance(Duration.ofNanos(1));
        assertFalse(memory.drops(MICROSOCKS), "expired: pipelined again, raced if late");
        assertFalse(memory.accepts(DANTE), "expired: watched again");
        assertFalse(memory.dropsAny(List.of(MICROSOCKS, DANTE)));
    }

    @Test
    void aNewVerdictReplacesTheOldOne() {
        memory.rememberDrops(MICROSOCKS);
        memory.rememberAccepts(MICROSOCKS); // the server was upgraded, and a pipelined request got its reply
        assertFalse(memory.drops(MICROSOCKS));
        assertTrue(memory.accepts(MICROSOCKS));
        assertTrue(memory.rememberDrops(MICROSOCKS), "a change back to dropping is news");
    }

    @Test
    void aZeroMemoryRemembersNothing() {
        PipeliningMemory none = new PipeliningMemory(Duration.ZERO, () -> now);
        assertTrue(none.rememberDrops(MICROSOCKS));
        assertFalse(none.drops(MICROSOCKS));
        assertTrue(none.rememberDrops(MICROSOCKS), "nothing kept, so every fallback is news (its log is limited)");
    }

    @Test
    void theClockMayWrapAroundLongMaxValue() {
        now = Long.MAX_VALUE - TimeUnit.MINUTES.toNanos(1);
        memory.rememberDrops(MICROSOCKS);
        advance(Duration.ofMinutes(59)); // past Long.MAX_VALUE: nanoTime differences still order right
        assertTrue(memory.drops(MICROSOCKS));
        advance(Duration.ofMinutes(1));
        assertFalse(memory.drops(MICROSOCKS));
    }
}
