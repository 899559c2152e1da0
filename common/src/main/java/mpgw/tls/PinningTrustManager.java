package mpgw.tls;

import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Accepts a peer iff the fingerprint of its leaf certificate (the first in the chain it sent) is pinned; nothing
 * else is consulted: no CA store, no chain building, no host name. Works for both directions (the server checking
 * the client and the client checking the server) and for both providers.
 *
 * <p><b>Validity dates are ignored</b>, as is usual for pinning: the fingerprint is the identity, and an operator
 * retires a key by removing its fingerprint, not by waiting for a date. An expiry would only turn a forgotten
 * renewal into an outage, and a clock that is wrong at boot (routers without an RTC) into a refused peer.
 * {@code mpgw keys} writes certificates valid until 9999 anyway.
 *
 * <p>Being an {@link X509ExtendedTrustManager}, the JDK uses it as it is (a plain X509TrustManager would be
 * wrapped and get the JDK's endpoint and algorithm checks added). Thread-safe: it holds only immutable state.
 */
public final class PinningTrustManager extends X509ExtendedTrustManager {
    private static final X509Certificate[] NO_ISSUERS = new X509Certificate[0];

    private final PinnedPeers peers;

    public PinningTrustManager(PinnedPeers peers) {
        this.peers = peers;
    }

    /**
     * Checks the peer's chain.
     *
     * @throws UnpinnedPeerException when the leaf's fingerprint is not pinned
     * @throws CertificateException when the peer sent no certificate
     */
    public void check(X509Certificate[] chain) throws CertificateException {
        if (chain == null || chain.length == 0) {
            throw new CertificateException("peer sent no certificate");
        }
        Fingerprint seen = Fingerprint.of(chain[0]);
        if (!peers.contains(seen)) {
            throw new UnpinnedPeerException(seen);
        }
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        check(chain);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        check(chain);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws CertificateException {
        check(chain);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws CertificateException {
        check(chain);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        check(chain);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        check(chain);
    }

    /** None: the certificate request names no CA, so a client sends its own certificate whatever it is. */
    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return NO_ISSUERS;
    }
}
