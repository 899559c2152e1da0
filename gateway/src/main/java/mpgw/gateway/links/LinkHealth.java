package mpgw.gateway.links;

/**
 * Whether a link passes traffic, from its carrier and its probes, with hysteresis: a lost carrier makes it down at
 * once; {@code downAfter} unanswered probes in a row make it down; once down, it takes {@code upAfter} answered
 * probes in a row (and the carrier) to be up again, so a link that answers one probe in two stays down instead of
 * changing state at every probe.
 *
 * <p>An up link is also <em>degraded</em> while it loses probes here and there without losing {@code downAfter}
 * in a row: {@code degradedAfter} lost among the last {@link #WINDOW} probes since it came up, the last one
 * answered (a run of losses in progress is a blackhole starting, not loss: it goes down instead); it stops being
 * degraded after {@link #WINDOW} answered in a row. Degraded is for the operator (log line, metric); the
 * link keeps its role. Not thread-safe: one thread (the links timer) owns it.
 */
final class LinkHealth {
    /** Probes that the degraded state looks back over (4 s at the default 200 ms interval). */
    static final int WINDOW = 20;

    private final int downAfter;
    private final int upAfter;
    private final int degradedAfter;
    private boolean up = true;
    private boolean degraded;
    private int lostInARow;
    private int answeredInARow;
    /** The fate of the last {@link #WINDOW} probes since the link came up: true = lost. */
    private final boolean[] window = new boolean[WINDOW];
    private int windowNext;
    private int lostInWindow;

    LinkHealth(int downAfter, int upAfter) {
        this(downAfter, upAfter, 0);
    }

    /** {@code degradedAfter} 0: never degraded. */
    LinkHealth(int downAfter, int upAfter, int degradedAfter) {
        this.downAfter = downAfter;
        this.upAfter = upAfter;
        this.degradedAfter = degradedAfter;
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
            lostInWindow += (answered ? 0 : 1) - (window[windowNext] ? 1 : 0);
            window[windowNext] = !answered;
            windowNext = (windowNext + 1) % WINDOW;
        }
        boolean wasUp = up;
        if (!carrier) {
            up = false;
            answeredInARow = 0;
        } else if (up) {
            up = lostInARow < downAfter;
        } else {
            // Not probed: the carrier alone decides. Probed: a run of good answers.
            up = answered == null && answeredInARow == 0 && lostInARow == 0 || answeredInARow >= upAfter;
        }
        if (up != wasUp) {
            // the losses of a down spell say nothing about the link once it is up again
            java.util.Arrays.fill(window, false);
            lostInWindow = 0;
            degraded = false;
        } else if (up && answered != null && degradedAfter > 0) {
            degraded = degraded ? lostInWindow > 0 : answered && lostInWindow >= degradedAfter;
        }
        return up;
    }

    boolean up() {
        return up;
    }

    /** Up, but losing probes now and then (see the class comment). */
    boolean degraded() {
        return up && degraded;
    }

    int lostInARow() {
        return lostInARow;
    }

    /** Lost probes among the last {@link #WINDOW} since the link came up. */
    int lostInWindow() {
        return lostInWindow;
    }
}
