package mpgw.tls;

/**
 * How a TLS handshake on the hop ended, in the words both daemons use for metrics tags and log fields
 * ({@link #tag()}). A bounded set, so it can tag a meter.
 */
public enum HandshakeOutcome {
    /** Handshake complete, peer pinned (or the session resumed one that was). */
    OK("ok"),
    /** The peer's certificate is well-formed but its fingerprint is not pinned here. */
    UNKNOWN_PEER("unknown-peer"),
    /**
     * The peer sent no certificate, an unusable one, or refused ours: an alert such as bad_certificate,
     * certificate_unknown or certificate_required received from it.
     */
    BAD_CERTIFICATE("bad-certificate"),
    /** The first bytes from a client were not a TLS handshake record (a plain SOCKS5 greeting starts 0x05). */
    PLAINTEXT_CLIENT("plaintext-client"),
    /** No common protocol version: the peer offered only TLS 1.2 or older, or refused 1.3. */
    PROTOCOL_VERSION("protocol-version"),
    /** The handshake did not finish within the handshake timeout. */
    TIMEOUT("timeout"),
    /** Anything else: a malformed or truncated record, a closed connection, an internal error. */
    OTHER("other");

    private final String tag;

    HandshakeOutcome(String tag) {
        this.tag = tag;
    }

    /** The spelling for metrics tags and logs: {@code ok}, {@code unknown-peer}, ... */
    public String tag() {
        return tag;
    }
}
