package mpgw.tls;

import io.netty.handler.codec.DecoderException;
import io.netty.handler.ssl.NotSslRecordException;
import io.netty.handler.ssl.SslHandshakeTimeoutException;
import java.security.cert.CertificateException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Turns a TLS handshake failure, from either provider, into a {@link HandshakeOutcome} and a short description safe
 * to log. The JDK and BoringSSL report the same event in different words ("Received fatal alert:
 * certificate_unknown" vs "SSLV3_ALERT_CERTIFICATE_UNKNOWN"), so apart from the exception types mpgw throws itself
 * ({@link UnpinnedPeerException}) and Netty's ({@link SslHandshakeTimeoutException}), the outcome comes from
 * alert and reason names in the messages of the failure and its causes; the tests pin each spelling per provider.
 *
 * <p>Descriptions never carry peer bytes raw: Netty's "not an SSL/TLS record" message (a hex dump of everything
 * received) is cut to its first byte, and everything is escaped and bounded by {@link LogText}. Stateless.
 */
public final class HandshakeFailures {
    /** Maximum length of a {@link #describe} result. */
    public static final int MAX_DESCRIPTION = 200;

    private static final List<String> PROTOCOL_VERSION = List.of("protocol_version", "unsupported_protocol",
            "not enabled or supported", "not accepted by client preferences", "no appropriate protocol",
            "protocol version");
    private static final List<String> BAD_CERTIFICATE = List.of("bad_certificate", "certificate_unknown",
            "unsupported_certificate", "certificate_required", "certificate_expired", "certificate_revoked",
            "empty client certificate chain", "empty server certificate chain", "peer_did_not_return_a_certificate",
            "certificate_verify_failed", "peer sent no certificate");

    private HandshakeFailures() {
    }

    public static HandshakeOutcome outcomeOf(Throwable failure) {
        List<Throwable> chain = chain(failure);
        for (Throwable t : chain) {
            if (t instanceof UnpinnedPeerException) {
                return HandshakeOutcome.UNKNOWN_PEER;
            }
        }
        for (Throwable t : chain) {
            if (t instanceof SslHandshakeTimeoutException) {
                return HandshakeOutcome.TIMEOUT;
            }
        }
        for (Throwable t : chain) {
            if (t instanceof NotSslRecordException) {
                return HandshakeOutcome.OTHER;
            }
        }
        String text = messages(chain).toLowerCase(Locale.ROOT);
        if (PROTOCOL_VERSION.stream().anyMatch(text::contains)) {
            return HandshakeOutcome.PROTOCOL_VERSION;
        }
        if (BAD_CERTIFICATE.stream().anyMatch(text::contains)
                || chain.stream().anyMatch(t -> t instanceof CertificateException)) {
            return HandshakeOutcome.BAD_CERTIFICATE;
        }
        return HandshakeOutcome.OTHER;
    }

    /** The unpinned fingerprint the peer presented, when that is why the handshake failed; else null. */
    public static Fingerprint unpinnedPeer(Throwable failure) {
        for (Throwable t : chain(failure)) {
            if (t instanceof UnpinnedPeerException u) {
                return u.seen();
            }
        }
        return null;
    }

    /** A one-line description: the distinct messages along the cause chain, escaped, at most {@value #MAX_DESCRIPTION} characters. */
    public static String describe(Throwable failure) {
        List<String> parts = new ArrayList<>();
        for (Throwable t : chain(failure)) {
            String m;
            if (t instanceof NotSslRecordException) {
                m = "not a TLS record" + firstByte(t.getMessage());
            } else if (t instanceof DecoderException && t.getCause() != null
                    && t.getCause().toString().equals(t.getMessage())) {
                continue;
            } else {
                m = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
            }
            if (parts.stream().noneMatch(p -> p.contains(m))) {
                parts.add(m);
            }
        }
        return LogText.escape(String.join(" / ", parts), MAX_DESCRIPTION);
    }

    /** " (first byte 0x05)" from Netty's "not an SSL/TLS record: 0501..." message, or "". */
    private static String firstByte(String message) {
        if (message == null) {
            return "";
        }
        int colon = message.indexOf(": ");
        if (colon < 0 || message.length() < colon + 4) {
            return "";
        }
        String hex = message.substring(colon + 2, colon + 4);
        return hex.chars().allMatch(c -> Character.digit(c, 16) >= 0) ? " (first byte 0x" + hex + ")" : "";
    }

    private static String messages(List<Throwable> chain) {
        StringBuilder b = new StringBuilder();
        for (Throwable t : chain) {
            if (t.getMessage() != null) {
                b.append(t.getMessage()).append('\n');
            }
        }
        return b.toString();
    }

    /** The failure, its causes and suppressed exceptions, each once, outermost first, at most 16. */
    private static List<Throwable> chain(Throwable failure) {
        List<Throwable> out = new ArrayList<>();
        Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        List<Throwable> queue = new ArrayList<>();
        if (failure != null) {
            queue.add(failure);
        }
        while (!queue.isEmpty() && out.size() < 16) {
            Throwable t = queue.remove(0);
            if (!seen.add(t)) {
                continue;
            }
            out.add(t);
            if (t.getCause() != null) {
                queue.add(t.getCause());
            }
            Collections.addAll(queue, t.getSuppressed());
        }
        return out;
    }
}
