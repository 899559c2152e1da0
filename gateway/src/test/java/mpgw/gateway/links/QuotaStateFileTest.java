package mpgw.gateway.links;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class QuotaStateFileTest {
    @TempDir
    Path dir;

    @Test
    void countsSurviveAWriteAndARead() throws Exception {
        QuotaStateFile f = new QuotaStateFile(dir.resolve("sub/quota.state"));
        assertTrue(f.read().isEmpty(), "no file yet: nothing counted");
        f.write(Map.of("wan2", new QuotaStateFile.Count("2026-12", 5_123_456L)));
        assertEquals(Map.of("wan2", new QuotaStateFile.Count("2026-12", 5_123_456L)), f.read());
        assertFalse(Files.exists(dir.resolve("sub/quota.state.tmp")), "the temporary file was renamed");
    }

    @Test
    void aDamagedEntryStartsFromZeroInsteadOfFailing() throws Exception {
        Path p = dir.resolve("quota.state");
        Files.writeString(p, "wan1.period = 2026-12\nwan1.bytes = many\nwan2.period = 2026-12\nwan2.bytes = 7\n");
        assertEquals(Map.of("wan2", new QuotaStateFile.Count("2026-12", 7)), new QuotaStateFile(p).read());
    }

    @Test
    void aSavedCountOfThisPeriodIsKeptAndOneOfAnEarlierPeriodIsNot() {
        Clock dec5 = Clock.fixed(Instant.parse("2026-12-05T12:00:00Z"), ZoneOffset.UTC);
        LinkQuota month = new LinkQuota("nosuchif0", 5_000_000, LinkSettings.QuotaPeriod.MONTH, dec5,
                new QuotaStateFile.Count("2026-12", 6_000_000));
        assertTrue(month.spent());
        LinkQuota lastMonth = new LinkQuota("nosuchif0", 5_000_000, LinkSettings.QuotaPeriod.MONTH, dec5,
                new QuotaStateFile.Count("2026-11", 6_000_000));
        assertFalse(lastMonth.spent());
        LinkQuota day = new LinkQuota("nosuchif0", 5_000_000, LinkSettings.QuotaPeriod.DAY, dec5,
                new QuotaStateFile.Count("2026-12-05", 6_000_000));
        assertEquals("2026-12-05", day.count().period());
        assertTrue(day.spent());
    }
}
