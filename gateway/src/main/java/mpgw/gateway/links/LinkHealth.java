package mpgw.gateway.links;

/**
 * Whether a link passes traffic, from its carrier and its probes, with hysteresis: a lost carrier makes it down at
 * once; {@code downAfter} unanswered probes in a row make it down; once down, it takes {@code upAfter} answered
 * probes in a row (and the carrier) to be up again, so a link that answers one probe in two stays down instead of
 * changing state at every probe. Not thread-safe: one thread (the links timer) owns it.
 */
final class LinkHealth {
    private final int downAfter;
    private final int upAfter;
    private boolean up = true;
    private int lostInARow;
    private int answeredInARow;

    LinkHealth(int downAfter, int upAfter) {
        this.downAfter = downAfter;
        this.upAfter = upAfter;
    }

    /**
     * One observation: the carrier now, and the last probe's fate ({@code null} when the link is not probed or no
     * probe was due). Returns whether the link is up afterwards.
     */
    boolean observe(boolean carrier, Boolean answered) {
        if (answered != null) {
            if (answered) {
                answeredInARow++;
                lostInARow = 0;
            } else {
                lostInARow++;
                answeredInARow = 0;
            }
        }
        if (!carrier) {
            up = false;
            answeredInARow = 0;
        } else if (up) {
            up = lostInARow < downAfter;
        } else {
            // Not probed: the carrier alone decides. Probed: a run of good answers.
            up = answered == null && answeredInARow == 0 && lostInARow == 0 || answeredInARow >= upAfter;
        }
        return up;
    }

    boolean up() {
        return up;
    }

    int lostInARow() {
        return lostInARow;
    }
}
