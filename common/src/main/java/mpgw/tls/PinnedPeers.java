package mpgw.tls;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import mpgw.config.ConfigError;

/**
 * The peer certificates a router accepts, by {@link Fingerprint}: a peer is accepted iff its leaf certificate's
 * fingerprint is in the set. More than one is allowed so a key can be rotated without an outage (list old and new,
 * switch the peer, remove the old one). Immutable and thread-safe.
 */
public final class PinnedPeers {
    private final Set<Fingerprint> fingerprints;

    private PinnedPeers(Set<Fingerprint> fingerprints) {
        this.fingerprints = Set.copyOf(fingerprints);
    }

    /** The given fingerprints; at least one. */
    public static PinnedPeers of(Collection<Fingerprint> fingerprints) {
        if (fingerprints.isEmpty()) {
            throw new IllegalArgumentException("no pinned peers");
        }
        return new PinnedPeers(new LinkedHashSet<>(fingerprints));
    }

    /**
     * Parses a config list such as {@code peers = ["sha256:...", "sha256:..."]}.
     *
     * @param key the config key and file, for the message ({@code "server.tls.peers in /etc/mpgw/server.conf"})
     * @throws ConfigError naming {@code key} and the entry's index when an entry is malformed or the list is empty
     */
    public static PinnedPeers parse(String key, List<String> entries) {
        if (entries.isEmpty()) {
            throw new ConfigError(key + ": no peers listed; with TLS on, list the other router's fingerprint "
                    + "(the sha256:... line 'mpgw keys' printed there)");
        }
        List<Fingerprint> parsed = new ArrayList<>();
        for (int i = 0; i < entries.size(); i++) {
            try {
                parsed.add(Fingerprint.parse(entries.get(i)));
            } catch (IllegalArgumentException e) {
                throw new ConfigError(key + "[" + i + "]: " + e.getMessage());
            }
        }
        return of(parsed);
    }

    public boolean contains(Fingerprint fingerprint) {
        return fingerprints.contains(fingerprint);
    }

    public Set<Fingerprint> fingerprints() {
        return fingerprints;
    }

    @Override
    public String toString() {
        return fingerprints.toString();
    }
}
