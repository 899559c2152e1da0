package mpgw.gateway.links;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class LinkHealthTest {
    @Test
    void downAfterThatManyLostProbesInARowThenUpAfterARunOfAnswers() {
        LinkHealth h = new LinkHealth(3, 4);
        assertTrue(h.observe(true, null));
        assertTrue(h.observe(true, false));
        assertTrue(h.observe(true, false));
        assertFalse(h.observe(true, false), "third lost probe in a row");
        for (int i = 0; i < 3; i++) {
            assertFalse(h.observe(true, true), "answer " + (i + 1) + " of 4");
        }
        assertTrue(h.observe(true, true));
    }

    @Test
    void aLinkThatAnswersEveryOtherProbeNeitherGoesDownNorComesBack() {
        LinkHealth up = new LinkHealth(3, 4);
        LinkHealth down = new LinkHealth(3, 4);
        for (int i = 0; i < 3; i++) {
            down.observe(true, false);
        }
        for (int i = 0; i < 40; i++) {
            assertTrue(up.observe(true, i % 2 == 0));
            assertFalse(down.observe(true, i % 2 == 0));
        }
    }

    @Test
    void aLostCarrierIsDownAtOnceAndAnUnprobedLinkFollowsItsCarrier() {
        LinkHealth probed = new LinkHealth(3, 2);
        assertFalse(probed.observe(false, true));
        assertFalse(probed.observe(true, true));
        assertTrue(probed.observe(true, true));
        LinkHealth unprobed = new LinkHealth(3, 2);
        assertFalse(unprobed.observe(false, null));
        assertTrue(unprobed.observe(true, null));
    }

    @Test
    void scatteredLossesMakeAnUpLinkDegradedUntilAFullWindowIsAnsweredAndARunOfLossesGoesStraightDown() {
        LinkHealth h = new LinkHealth(3, 4, 2);
        h.observe(true, true);
        h.observe(true, false);
        h.observe(true, true);
        assertFalse(h.degraded(), "one lost of the last 20");
        h.observe(true, false);
        assertFalse(h.degraded(), "a loss in progress may be a blackhole starting");
        assertTrue(h.observe(true, true));
        assertTrue(h.degraded(), "two lost of the last 20, the last answered");
        for (int i = 0; i < LinkHealth.WINDOW - 2; i++) { // the second loss is 20 probes back after these
            h.observe(true, true);
            assertTrue(h.degraded(), "answer " + (i + 1) + ": a loss still in the window");
        }
        h.observe(true, true);
        assertFalse(h.degraded(), "the last 20 answered");

        LinkHealth blackhole = new LinkHealth(3, 4, 2);
        blackhole.observe(true, true);
        assertTrue(blackhole.observe(true, false));
        assertFalse(blackhole.degraded());
        assertTrue(blackhole.observe(true, false));
        assertFalse(blackhole.degraded(), "a run of losses is not loss here and there");
        assertFalse(blackhole.observe(true, false), "down: the third in a row");
        for (int i = 0; i < 4; i++) {
            blackhole.observe(true, true);
        }
        assertTrue(blackhole.up());
        assertFalse(blackhole.degraded(), "the losses of the down spell are forgotten once up");
    }

    @Test
    void degradedAfterZeroNeverDegrades() {
        LinkHealth h = new LinkHealth(3, 4, 0);
        for (int i = 0; i < 40; i++) {
            assertTrue(h.observe(true, i % 2 == 0));
            assertFalse(h.degraded());
        }
    }
}
