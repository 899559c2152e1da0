package mpgw.tls;

import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * A {@link PinningTrustManager} that counts its checks: a peer certificate is checked once per full handshake and
 * not at all when a session resumes, so the count tells resumed handshakes apart with either provider.
 */
final class CountingTrustManager extends X509ExtendedTrustManager {
    final AtomicInteger checks = new AtomicInteger();
    private final PinningTrustManager pinning;

    CountingTrustManager(PinnedPeers peers) {
        this.pinning = new PinningTrustManager(peers);
    }

    private void check(X509Certificate[] chain) throws CertificateException {
        checks.incrementAndGet();
        pinning.check(chain);
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

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return pinning.getAcceptedIssuers();
    }
}
