package mpgw.tls;

import io.netty.handler.ssl.OpenSslCertificateException;
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
 * <p>The TLS engines get an unpinned peer as an {@link OpenSslCertificateException} with code
 * {@code X509_V_ERR_CERT_REJECTED} whose cause is the {@link UnpinnedPeerException}: BoringSSL then sends the peer a
 * {@code bad_certificate} alert (with a plain CertificateException Netty reports an unspecified error and the peer
 * gets {@code internal_error}, which says nothing about its certificate); the JDK sends {@code certificate_unknown}.
 *
 * <p>Being an {@link X509ExtendedTrustManager}, the JDK uses it as it is (a plain X509TrustManager would be
 * wrapped and get the JDK's endpoint and algorithm checks added). Thread-safe: it holds only immutable state.
 */
public final class PinningTrustManager extends X509ExtendedTrustManager {
    private static final X509Certificate[] NO_ISSUERS = new X509Certificate[0];

    /** OpenSSL's and BoringSSL's X509_V_ERR_CERT_REJECTED (x509_vfy.h). */
    private static final int X509_V_ERR_CERT_REJECTED = 28;

    private final PinnedPeers peers;
    private final Runnable onCheck;

    public PinningTrustManager(PinnedPeers peers) {
        this(peers, () -> { });
    }

    /**
     * @param onCheck runs once per check, that is once per full handshake: a resumed session is not checked
     *                again, so counting these tells full handshakes from resumed ones, with either provider
     */
    public PinningTrustManager(PinnedPeers peers, Runnable onCheck) {
        this.peers = peers;
        this.onCheck = onCheck;
    }

    /**
     * Checks the peer's chain.
     *
     * @throws CertificateException caused by an {@link UnpinnedPeerException} when the leaf's fingerprint is not
     *                              pinned
     * @throws CertificateException when the peer sent no certificate
     */
    public void check(X509Certificate[] chain) throws CertificateException {
        onCheck.run();
        try {
            checkPinned(chain);
        } catch (UnpinnedPeerException e) {
            throw new OpenSslCertificateException(e.getMessage(), e, X509_V_ERR_CERT_REJECTED);
        }
    }

    private void checkPinned(X509Certificate[] chain) throws CertificateException {
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
