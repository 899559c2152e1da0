package mpgw.tls;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.util.List;

/**
 * A router's own identity: its private key, its certificate and the certificate's {@link Fingerprint}, checked
 * to belong together. Loaded from files by {@link KeyFiles}, made by {@link KeyGeneration}. Immutable.
 *
 * @param warnings problems that do not stop the daemon (a key file readable by others), for the startup log
 */
public record KeyMaterial(PrivateKey privateKey, X509Certificate certificate, Fingerprint fingerprint,
                          List<String> warnings) {
    public KeyMaterial {
        warnings = List.copyOf(warnings);
    }

    /**
     * Pairs a key with a certificate.
     *
     * @throws IllegalArgumentException when the key does not sign for the certificate's public key
     */
    public static KeyMaterial of(PrivateKey privateKey, X509Certificate certificate, List<String> warnings) {
        if (!matches(privateKey, certificate)) {
            throw new IllegalArgumentException("the private key does not belong to the certificate "
                    + Fingerprint.of(certificate) + " (its public key is another)");
        }
        return new KeyMaterial(privateKey, certificate, Fingerprint.of(certificate), warnings);
    }

    /** Whether a signature made with {@code privateKey} verifies with the certificate's public key. */
    static boolean matches(PrivateKey privateKey, X509Certificate certificate) {
        String algorithm = signatureAlgorithm(privateKey.getAlgorithm());
        if (!signatureAlgorithm(certificate.getPublicKey().getAlgorithm()).equals(algorithm)) {
            return false;
        }
        byte[] probe = "mpgw key check".getBytes(StandardCharsets.US_ASCII);
        try {
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(privateKey);
            signer.update(probe);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(certificate.getPublicKey());
            verifier.update(probe);
            return verifier.verify(signature);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    private static String signatureAlgorithm(String keyAlgorithm) {
        return switch (keyAlgorithm) {
            case "EC" -> "SHA256withECDSA";
            case "Ed25519", "EdDSA" -> "Ed25519";
            case "RSA" -> "SHA256withRSA";
            default -> keyAlgorithm;
        };
    }
}
