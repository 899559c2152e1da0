package mpgw.gateway.links;

import static mpgw.gateway.links.LinkRole.BACKUP;
import static mpgw.gateway.links.LinkRole.PRIMARY;
import static mpgw.gateway.links.LinkState.DEGRADED;
import static mpgw.gateway.links.LinkState.DOWN;
import static mpgw.gateway.links.LinkState.QUOTA_SPENT;
import static mpgw.gateway.links.LinkState.UP;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class RolePlanTest {
    private static List<Boolean> flags(RolePlan.Input... links) {
        return RolePlan.backupFlags(List.of(links));
    }

    private static RolePlan.Input in(LinkRole role, LinkState state) {
        return new RolePlan.Input(role, state);
    }

    @Test
    void healthyPrimariesCarryAndBackupsWait() {
        assertEquals(List.of(false, true), flags(in(PRIMARY, UP), in(BACKUP, UP)));
        assertEquals(List.of(false, false, true), flags(in(PRIMARY, UP), in(PRIMARY, UP), in(BACKUP, UP)));
    }

    @Test
    void aDeadPrimaryIsFlaggedAndTheBackupTakesOver() {
        assertEquals(List.of(true, false), flags(in(PRIMARY, DOWN), in(BACKUP, UP)));
    }

    @Test
    void aDeadPrimaryBesideALivePrimaryLeavesTheBackupWaiting() {
        assertEquals(List.of(true, false, true), flags(in(PRIMARY, DOWN), in(PRIMARY, UP), in(BACKUP, UP)));
    }

    @Test
    void aSpentQuotaMakesALinkABackupOfLastResort() {
        assertEquals(List.of(false, true), flags(in(PRIMARY, UP), in(PRIMARY, QUOTA_SPENT)));
        assertEquals(List.of(true, true, false), flags(in(PRIMARY, DOWN), in(PRIMARY, QUOTA_SPENT), in(BACKUP, UP)));
        assertEquals(List.of(true, false), flags(in(PRIMARY, DOWN), in(PRIMARY, QUOTA_SPENT)));
    }

    @Test
    void withActionOffASpentLinkIsNeverTheLastResort() {
        assertEquals(List.of(true, true), RolePlan.backupFlags(List.of(in(PRIMARY, DOWN), in(PRIMARY, QUOTA_SPENT)),
                false));
        assertEquals(List.of(false, true), RolePlan.backupFlags(List.of(in(PRIMARY, UP), in(PRIMARY, QUOTA_SPENT)),
                false));
    }

    @Test
    void aDegradedLinkKeepsItsRole() {
        assertEquals(List.of(false, true), flags(in(PRIMARY, DEGRADED), in(BACKUP, UP)));
        assertEquals(List.of(true, false), flags(in(PRIMARY, DOWN), in(BACKUP, DEGRADED)));
    }

    @Test
    void nothingUsableFlagsEverything() {
        assertEquals(List.of(true, true), flags(in(PRIMARY, DOWN), in(BACKUP, DOWN)));
    }
}
