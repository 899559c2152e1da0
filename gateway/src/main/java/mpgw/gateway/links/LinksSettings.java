package mpgw.gateway.links;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import mpgw.config.ConfigReader;

/**
 * {@code gateway.links}, {@code gateway.link-probes} and {@code gateway.link-quota} (reference.conf documents each
 * key). Empty {@link #links()}: the gateway leaves MPTCP endpoints alone, as before this feature.
 *
 * @param interval      one probe per link this often
 * @param downAfter     this many probes in a row unanswered (each within {@code interval}) and the link is down
 * @param upAfter       this many answered in a row after that and it is up again (hysteresis against flapping)
 * @param degradedAfter this many lost among the last 20 (fewer in a row than downAfter) and an up link is degraded
 * @param quotaAction   what a link whose quota is spent becomes: {@code backup} (the last resort) or {@code off}
 * @param stateFile     where quota counts survive a restart
 * @param saveInterval  how often the counts are written (and at stop)
 */
public record LinksSettings(List<LinkSettings> links, Duration interval, int downAfter, int upAfter,
                            int degradedAfter, String quotaAction, Path stateFile, Duration saveInterval) {

    public static LinksSettings from(ConfigReader gateway) {
        List<LinkSettings> links = gateway.objects("links", LinkSettings::from);
        Set<String> seen = new HashSet<>();
        for (LinkSettings l : links) {
            if (!seen.add(l.iface())) {
                throw gateway.error("links", "interface '" + l.iface() + "' is listed twice");
            }
        }
        ConfigReader probes = gateway.sub("link-probes");
        Duration interval = probes.duration("interval", false);
        if (interval.toMillis() < 20 || interval.toMillis() > 10_000) {
            throw probes.error("interval", "must be between 20ms and 10s, got " + interval.toMillis() + "ms");
        }
        ConfigReader quota = gateway.sub("link-quota");
        String stateFile = quota.string("state-file");
        if (stateFile.isEmpty() && links.stream().anyMatch(l -> l.quota().isPresent())) {
            throw quota.error("state-file", "must be set when a link has a quota (the count survives restarts there)");
        }
        return new LinksSettings(links, interval, probes.intIn("down-after", 1, 100), probes.intIn("up-after", 1, 1000),
                probes.intIn("degraded-after", 0, LinkHealth.WINDOW),
                quota.oneOf("action", "backup", "off"), stateFile.isEmpty() ? null : Path.of(stateFile),
                quota.duration("save-interval", false));
    }

    /** {@code link-quota.action = off}: a link whose quota is spent carries nothing ({@link LinkCutOff}). */
    public boolean quotaCutsOff() {
        return quotaAction.equals("off");
    }

    public boolean enabled() {
        return !links.isEmpty();
    }
}
