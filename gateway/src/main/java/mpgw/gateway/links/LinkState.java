package mpgw.gateway.links;

/** What a link can do now, as logged ({@code state=}) and in {@code mpgw_gateway_link_state}. */
public enum LinkState {
    /** Carrier up and probes answered (or not probed). */
    UP("up"),
    /** Carrier lost, or {@code down-after} probes in a row unanswered while the carrier is up (a blackhole). */
    DOWN("down"),
    /** Healthy, but its quota for the period is spent: it carries traffic only as a backup. */
    QUOTA_SPENT("quota-spent");

    private final String word;

    LinkState(String word) {
        this.word = word;
    }

    public String word() {
        return word;
    }
}
