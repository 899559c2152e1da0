package mpgw.tls;

import java.security.cert.CertificateException;

/**
 * A peer presented a certificate whose fingerprint is not pinned. Thrown by {@link PinningTrustManager} inside the
 * TLS engine; {@link HandshakeFailures} finds it in the handshake failure's causes and reports
 * {@link HandshakeOutcome#UNKNOWN_PEER} with the fingerprint seen, for the log.
 */
public final class UnpinnedPeerException extends CertificateException {
    private final transient Fingerprint seen;

    public UnpinnedPeerException(Fingerprint seen) {
        super("peer certificate " + seen + " is not pinned");
        this.seen = seen;
    }

    public Fingerprint seen() {
        return seen;
    }
}
