package mpgw.status;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.junit.jupiter.api.Test;

class RecentErrorsTest {
    @Test
    void keepsTheLastWarningsNewestFirstCutToSize() {
        RecentErrors ring = RecentErrors.attach();
        assertTrue(ring == RecentErrors.attach(), "one ring per process");
        Logger log = LogManager.getLogger("mpgw.test.recent");
        log.info("not kept: info");
        for (int i = 0; i < RecentErrors.CAPACITY + 5; i++) {
            log.warn("warning {}", i);
        }
        log.error("x".repeat(RecentErrors.MAX_MESSAGE * 3));
        List<RecentErrors.Entry> kept = ring.newestFirst();
        assertEquals(RecentErrors.CAPACITY, kept.size());
        assertEquals("ERROR", kept.get(0).level());
        assertEquals(RecentErrors.MAX_MESSAGE + 3, kept.get(0).message().length());
        assertEquals("warning " + (RecentErrors.CAPACITY + 4), kept.get(1).message());
        assertEquals("mpgw.test.recent", kept.get(1).logger());
        assertTrue(kept.stream().noneMatch(e -> e.message().contains("info")));
    }
}
