package mpgw.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.handler.codec.DecoderException;
import io.netty.handler.ssl.NotSslRecordException;
import io.netty.handler.ssl.SslHandshakeTimeoutException;
import java.security.cert.CertificateException;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/**
 * The "seen" messages below are the ones each provider produced in TlsHandshakeTest (JDK 17.0.15, tcnative 2.0.84
 * BoringSSL); the others are alerts and reasons the same code paths produce for cases not run there.
 */
class HandshakeFailuresTest {
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        // seen: TLS 1.2-only ClientHello, JDK server and BoringSSL server
        "The client supported protocol versions [TLSv1.2] are not accepted by server preferences [TLSv1.3] | PROTOCOL_VERSION",
        "error:100000f0:SSL routines:OPENSSL_internal:UNSUPPORTED_PROTOCOL | PROTOCOL_VERSION",
        // seen: the refused side of pinning, JDK and BoringSSL
        "Received fatal alert: certificate_unknown | BAD_CERTIFICATE",
        "error:10000412:SSL routines:OPENSSL_internal:SSLV3_ALERT_BAD_CERTIFICATE | BAD_CERTIFICATE",
        // seen: truncated record, and an unpinned peer before the trust manager told BoringSSL CERT_REJECTED
        "Connection closed while SSL/TLS handshake was in progress | OTHER",
        "error:10000438:SSL routines:OPENSSL_internal:TLSV1_ALERT_INTERNAL_ERROR | OTHER",
        "error:10000096:SSL routines:OPENSSL_internal:EXCESSIVE_MESSAGE_SIZE | OTHER",
        // not run: the TLS 1.2-only client's side, a client without a certificate
        "Received fatal alert: protocol_version | PROTOCOL_VERSION",
        "Empty client certificate chain | BAD_CERTIFICATE",
        "error:1000043c:SSL routines:OPENSSL_internal:TLSV1_ALERT_CERTIFICATE_REQUIRED | BAD_CERTIFICATE",
        "error:100000c7:SSL routines:OPENSSL_internal:PEER_DID_NOT_RETURN_A_CERTIFICATE | BAD_CERTIFICATE",
    })
    void providerMessagesMapToOneVocabulary(String message, HandshakeOutcome expected) {
        assertEquals(expected, HandshakeFailures.outcomeOf(new DecoderException(new SSLHandshakeException(message))));
    }

    @Test
    void typedFailuresWinOverMessages() {
        Fingerprint seen = KeyGeneration.generate("x").fingerprint();
        SSLHandshakeException unpinned = new SSLHandshakeException("error:1000007d:CERTIFICATE_VERIFY_FAILED");
        unpinned.initCause(new CertificateException("wrapper", new UnpinnedPeerException(seen)));
        assertEquals(HandshakeOutcome.UNKNOWN_PEER, HandshakeFailures.outcomeOf(unpinned));
        assertEquals(seen, HandshakeFailures.unpinnedPeer(unpinned));
        assertEquals(HandshakeOutcome.TIMEOUT,
                HandshakeFailures.outcomeOf(new SslHandshakeTimeoutException("handshake timed out after 300ms")));
        assertEquals(HandshakeOutcome.BAD_CERTIFICATE,
                HandshakeFailures.outcomeOf(new SSLHandshakeException("x").initCause(new CertificateException())));
    }

    @Test
    void aNotTlsRecordIsDescribedByItsFirstByteOnly() {
        NotSslRecordException e = new NotSslRecordException("not an SSL/TLS record: 16414141410a0d1b5b324a");
        String d = HandshakeFailures.describe(new DecoderException(e));
        assertEquals("not a TLS record (first byte 0x16)", d);
        assertEquals(HandshakeOutcome.OTHER, HandshakeFailures.outcomeOf(e));
    }

    @Test
    void descriptionsAreEscapedAndBounded() {
        String nasty = "bad \u001b[2J\r\nlog line \u00e9" + "x".repeat(500);
        String d = HandshakeFailures.describe(new SSLHandshakeException(nasty));
        assertTrue(d.startsWith("bad \\x1b[2J\\x0d\\x0alog line \\xe9x"), d);
        assertTrue(d.length() <= HandshakeFailures.MAX_DESCRIPTION + 3, d);
        assertTrue(d.endsWith("..."), d);
        assertFalse(d.chars().anyMatch(c -> c < 0x20 || c >= 0x7f), d);
    }

    @Test
    void wrappersRepeatingTheirCauseAreLeftOut() {
        SSLHandshakeException inner = new SSLHandshakeException("Received fatal alert: certificate_unknown");
        assertEquals("Received fatal alert: certificate_unknown",
                HandshakeFailures.describe(new DecoderException(inner)));
    }
}
