package mpgw.gateway.links;

/**
 * What a WAN link is for. The kernel's MPTCP scheduler sends on a subflow whose endpoint is flagged
 * {@code backup} only when no other subflow can send; mpgw only sets that flag, it schedules nothing itself.
 */
public enum LinkRole {
    /** Carries traffic whenever it is healthy (no {@code backup} flag). */
    PRIMARY,
    /** Carries traffic only while no primary link is healthy. */
    BACKUP;

    public String word() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
