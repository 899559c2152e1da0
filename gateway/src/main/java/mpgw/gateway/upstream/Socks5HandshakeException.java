package mpgw.gateway.upstream;

import java.io.IOException;

/**
 * The SOCKS5 handshake with the socks-server failed: a non-zero reply, an auth failure, a protocol error, a
 * close or a timeout. The message names the proxy, the destination and what happened.
 */
public final class Socks5HandshakeException extends IOException {
    /** No reply code: the failure was not a command reply. */
    public static final int NO_REPLY = -1;

    /** What went wrong, in the words of {@link #what()}'s first part. */
    public enum Kind {
        /** the command reply had a non-zero code ({@link #replyCode()}) */
        REFUSED,
        /** the server did not accept the credentials */
        AUTH_REFUSED,
        /** a reply that does not parse, or a method the gateway did not offer */
        PROTOCOL,
        /** the connection closed or failed before the reply */
        CLOSED,
        /** no reply within the handshake timeout */
        TIMEOUT
    }

    private final String what;
    private final int replyCode;
    private final Kind kind;

    Socks5HandshakeException(String prefix, String what, int replyCode, Kind kind) {
        super(prefix + what);
        this.what = what;
        this.replyCode = replyCode;
        this.kind = kind;
    }

    /** The command reply's REP field (1..255), or {@link #NO_REPLY}. */
    public int replyCode() {
        return replyCode;
    }

    public Kind kind() {
        return kind;
    }

    public boolean isTimeout() {
        return kind == Kind.TIMEOUT;
    }

    /** The message without the proxy and destination it starts with. */
    public String what() {
        return what;
    }
}
