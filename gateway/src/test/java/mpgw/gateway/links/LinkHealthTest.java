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
}
