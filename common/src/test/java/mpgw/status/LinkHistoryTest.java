package mpgw.status;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class LinkHistoryTest {
    private static LinkSample link(String key, long sent, long received) {
        return new LinkSample(key, "if-" + key, "10.0.0.1", "", "up", null, sent, received);
    }

    @Test
    void ratesAreCounterGrowthPerSecondBothDirections() {
        LinkHistory h = new LinkHistory();
        h.record(1_000, List.of(link("a", 100, 10)));         // baseline only
        h.record(2_000, List.of(link("a", 1_100, 30)));       // +1000, +20 in 1 s
        h.record(4_000, List.of(link("a", 2_100, 30)));       // +1000 in 2 s
        h.record(5_000, List.of());                            // not reported: its counters did not move
        LinkHistory.Link a = h.snapshot().links().get(0);
        assertArrayEquals(new long[] {1000, 500, 0}, a.sentRates());
        assertArrayEquals(new long[] {20, 0, 0}, a.receivedRates());
        assertEquals(5_000, h.snapshot().sampleMillis());
    }

    @Test
    void countersThatGoBackwardsGiveZeroNotNegative() {
        LinkHistory h = new LinkHistory();
        h.record(1_000, List.of(link("a", 5_000, 5_000)));
        h.record(2_000, List.of(link("a", 10, 10)));
        assertArrayEquals(new long[] {0}, h.snapshot().links().get(0).sentRates());
    }

    @Test
    void boundedInTimeAndInLinks() {
        LinkHistory h = new LinkHistory();
        for (int s = 0; s <= LinkHistory.SECONDS + 50; s++) {
            h.record(1_000L * (s + 1), List.of(link("a", 1_000L * s * s, 0)));
        }
        long[] rates = h.snapshot().links().get(0).sentRates();
        assertEquals(LinkHistory.SECONDS, rates.length);
        long last = LinkHistory.SECONDS + 50;
        assertEquals(1_000L * (last * last - (last - 1) * (last - 1)), rates[rates.length - 1], "newest last");

        List<LinkSample> many = new ArrayList<>();
        for (int i = 0; i < LinkHistory.MAX_LINKS + 5; i++) {
            many.add(link("l" + i, 0, 0));
        }
        LinkHistory capped = new LinkHistory();
        capped.record(1_000, many);
        assertEquals(LinkHistory.MAX_LINKS, capped.snapshot().links().size());
        assertEquals(5, capped.snapshot().linksNotShown());
    }
}
