package mpgw.tls;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * A {@link PinningTrustManager} whose checks are counted: a peer certificate is checked once per full handshake and
 * not at all when a session resumes, so the count tells resumed handshakes apart with either provider.
 */
final class CountingTrustManager {
    final AtomicInteger checks = new AtomicInteger();
    final PinningTrustManager manager;

    CountingTrustManager(PinnedPeers peers) {
        this.manager = new PinningTrustManager(peers, checks::incrementAndGet);
    }
}
