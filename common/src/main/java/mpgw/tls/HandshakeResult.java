package mpgw.tls;

import java.time.Duration;

/**
 * One finished handshake, as {@link HandshakeOutcomeHandler} reports it to a {@link HandshakeListener}.
 *
 * @param outcome how it ended
 * @param peer    the peer's certificate fingerprint when known: the pinned one on {@code ok}, the refused one on
 *                {@code unknown-peer}; else null
 * @param detail  empty on {@code ok}; else a description safe for a log line (escaped, bounded)
 * @param elapsed from the start of the handshake (connection active) to its end
 */
public record HandshakeResult(HandshakeOutcome outcome, Fingerprint peer, String detail, Duration elapsed) {
    public boolean isOk() {
        return outcome == HandshakeOutcome.OK;
    }

    /** {@code tls=ok peer=sha256:... time=3ms} and, on failure, {@code detail="..."}: log fields. */
    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("tls=").append(outcome.tag());
        if (peer != null) {
            b.append(" peer=").append(peer);
        }
        b.append(" time=").append(elapsed.toMillis()).append("ms");
        if (!detail.isEmpty()) {
            b.append(" detail=\"").append(detail.replace("\"", "'")).append('"');
        }
        return b.toString();
    }
}
