package mpgw.tls;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Makes a router's identity: an EC P-256 key pair and a self-signed X.509 v3 certificate for it, subject
 * {@code CN=name}, valid from a day ago until 9999-12-31 (RFC 5280's "no well-defined expiration"; pinning ignores
 * dates anyway, see {@link PinningTrustManager}), usable for both TLS server and client authentication.
 *
 * <p>P-256 rather than Ed25519: both providers sign and verify it in TLS 1.3 with constant-time assembly, and it
 * is the curve every TLS stack handles. BouncyCastle only builds the certificate's ASN.1; keys, signatures and
 * parsing use the JDK's own providers. Stateless and thread-safe.
 */
public final class KeyGeneration {
    /** Generalized time 99991231235959Z. */
    private static final Instant NO_EXPIRY = Instant.parse("9999-12-31T23:59:59Z");

    private KeyGeneration() {
    }

    public static KeyMaterial generate(String commonName) {
        return generate(commonName, Instant.now().minus(Duration.ofDays(1)), NO_EXPIRY);
    }

    /** With explicit validity dates (tests use one in the past to show that pinning ignores them). */
    public static KeyMaterial generate(String commonName, Instant notBefore, Instant notAfter) {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            SecureRandom random = new SecureRandom();
            generator.initialize(new ECGenParameterSpec("secp256r1"), random);
            KeyPair pair = generator.generateKeyPair();
            X500Name subject = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, commonName).build();
            BigInteger serial = new BigInteger(127, random).setBit(126);
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(subject, serial,
                    Date.from(notBefore), Date.from(notAfter), subject, pair.getPublic());
            JcaX509ExtensionUtils extensions = new JcaX509ExtensionUtils();
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
            builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(
                    new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
            builder.addExtension(Extension.subjectKeyIdentifier, false,
                    extensions.createSubjectKeyIdentifier(pair.getPublic()));
            X509Certificate certificate = new JcaX509CertificateConverter().getCertificate(
                    builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(pair.getPrivate())));
            return KeyMaterial.of(pair.getPrivate(), certificate, List.of());
        } catch (GeneralSecurityException | OperatorCreationException | java.io.IOException e) {
            throw new IllegalStateException("cannot generate a key pair and certificate: " + e.getMessage(), e);
        }
    }
}
