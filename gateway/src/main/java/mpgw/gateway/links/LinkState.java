package mpgw.gateway.links;

/** What a link can do now, as logged ({@code state=}) and in {@code mpgw_gateway_link_state}. */
public enum LinkState {
    /** Carrier up and probes answered (or not probed). */
    UP("up"),
    /**
     * Up and carrying traffic in its role, but losing probes now and then ({@code link-probes.degraded-after} of
     * the last 20, fewer than {@code down-after} in a row): worth a look, not worth a role change.
     */
    DEGRADED("degraded"),
    /** Carrier lost, or {@code down-after} probes in a row unanswered while the carrier is up (a blackhole). */
    DOWN("down"),
    /** Healthy, but its quota for the period is spent: it carries traffic only as a backup. */
    QUOTA_SPENT("quota-spent");

    private final String word;

    LinkState(String word) {
        this.word = word;
    }

    /** Whether the link carries traffic in its role (up, or up but lossy). */
    public boolean passes() {
        return this == UP || this == DEGRADED;
    }

    public String word() {
        return word;
    }
}
