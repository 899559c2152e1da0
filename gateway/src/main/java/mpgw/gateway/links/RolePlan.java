package mpgw.gateway.links;

import java.util.ArrayList;
import java.util.List;

/**
 * Which links the kernel may send on freely (no {@code backup} flag) given each link's role and state: the healthy
 * primaries (up or degraded: a lossy link keeps its role); when none is healthy, the healthy backups; when none of those either, the healthy links whose quota
 * is spent. Every other link gets the flag. A dead link is flagged too: the kernel then stops sending new data on
 * it at once on this side, while the {@code MP_PRIO} that clears a backup link's flag travels over that live
 * link to router B, whose scheduler follows. Pure function; tested on its own.
 */
final class RolePlan {
    private RolePlan() {
    }

    /** One link's inputs. */
    record Input(LinkRole role, LinkState state) {
    }

    /** For each input, in order: whether its endpoints get the {@code backup} flag. */
    static List<Boolean> backupFlags(List<Input> links) {
        return backupFlags(links, true);
    }

    /**
     * @param spentMayCarry {@code link-quota.action = backup}: a link whose quota is spent is the last resort;
     *                      {@code off}: it never is (it is cut off besides, {@link LinkCutOff})
     */
    static List<Boolean> backupFlags(List<Input> links, boolean spentMayCarry) {
        boolean anyPrimary = links.stream().anyMatch(l -> l.state().passes() && l.role() == LinkRole.PRIMARY);
        boolean anyBackup = links.stream().anyMatch(l -> l.state().passes() && l.role() == LinkRole.BACKUP);
        List<Boolean> out = new ArrayList<>();
        for (Input l : links) {
            boolean free;
            if (anyPrimary) {
                free = l.state().passes() && l.role() == LinkRole.PRIMARY;
            } else if (anyBackup) {
                free = l.state().passes() && l.role() == LinkRole.BACKUP;
            } else {
                free = spentMayCarry && l.state() == LinkState.QUOTA_SPENT;
            }
            out.add(!free);
        }
        return out;
    }
}
