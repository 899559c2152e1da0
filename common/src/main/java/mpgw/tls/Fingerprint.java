package mpgw.tls;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Locale;

/**
 * The SHA-256 digest of a certificate's DER encoding, written {@code sha256:} and 64 lowercase hex digits: the
 * identity one router pins for the other. It covers the whole certificate, public key included, so a peer that
 * completes a TLS handshake with a certificate of a pinned fingerprint holds the matching private key.
 *
 * <p>Immutable and thread-safe.
 */
public final class Fingerprint {
    private static final String PREFIX = "sha256:";
    private static final int HEX_DIGITS = 64;

    /** See {@link #of(X509Certificate)}. */
    private static volatile Memo last;

    private final byte[] sha256;
    /** {@link #toString()}, made on first use (a benign race: any thread computes the same string). */
    private String text;

    private Fingerprint(byte[] sha256) {
        this.sha256 = sha256;
    }

    /**
     * The fingerprint of {@code certificate}. The last certificate's fingerprint is kept: every handshake
     * fingerprints the peer's certificate (the connection log names it) and a router has one or two peers, so the
     * digest (and the JDK's provider lookup for it, most of the cost) is done once per certificate, not per
     * connection. The memo is compared on the whole DER encoding, so it returns exactly what a fresh digest would.
     */
    public static Fingerprint of(X509Certificate certificate) {
        byte[] der;
        try {
            der = certificate.getEncoded();
        } catch (CertificateEncodingException e) {
            throw new IllegalArgumentException("certificate cannot be encoded: " + e.getMessage(), e);
        }
        Memo m = last;
        if (m != null && Arrays.equals(m.der, der)) {
            return m.fingerprint;
        }
        Fingerprint f = ofDer(der);
        last = new Memo(der, f);
        return f;
    }

    /** A certificate's DER encoding (our own copy from getEncoded, never handed out) and its fingerprint. */
    private record Memo(byte[] der, Fingerprint fingerprint) {
    }

    /** The fingerprint of a DER-encoded certificate. */
    public static Fingerprint ofDer(byte[] der) {
        try {
            return new Fingerprint(MessageDigest.getInstance("SHA-256").digest(der));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }

    /**
     * Parses {@code sha256:} followed by 64 hex digits, in either case; colons between digit pairs (as
     * {@code openssl x509 -fingerprint -sha256} prints them) are allowed.
     *
     * @throws IllegalArgumentException with a message saying what is wrong (prefix, length, a non-hex character)
     */
    public static Fingerprint parse(String text) {
        String s = text.strip();
        if (!s.regionMatches(true, 0, PREFIX, 0, PREFIX.length())) {
            throw new IllegalArgumentException("'" + LogText.escape(s, 80) + "' does not start with '" + PREFIX
                    + "' (expected " + PREFIX + " and " + HEX_DIGITS + " hex digits, as 'mpgw keys' prints)");
        }
        String hex = s.substring(PREFIX.length()).replace(":", "").toLowerCase(Locale.ROOT);
        for (int i = 0; i < hex.length(); i++) {
            char c = hex.charAt(i);
            if (Character.digit(c, 16) < 0 || c > 'f') {
                throw new IllegalArgumentException("'" + LogText.escape(s, 80) + "' has a non-hex character '"
                        + LogText.escape(String.valueOf(c), 8) + "' at digit " + (i + 1));
            }
        }
        if (hex.length() != HEX_DIGITS) {
            throw new IllegalArgumentException("'" + LogText.escape(s, 80) + "' has " + hex.length()
                    + " hex digits; a SHA-256 fingerprint has " + HEX_DIGITS);
        }
        return new Fingerprint(HexFormat.of().parseHex(hex));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Fingerprint f && MessageDigest.isEqual(sha256, f.sha256);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(sha256);
    }

    /** {@code sha256:} and 64 lowercase hex digits. */
    @Override
    public String toString() {
        String t = text;
        if (t == null) {
            t = PREFIX + HexFormat.of().formatHex(sha256);
            text = t;
        }
        return t;
    }
}
