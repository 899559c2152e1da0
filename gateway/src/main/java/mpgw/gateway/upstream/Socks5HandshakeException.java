package mpgw.gateway.upstream;

import java.io.IOException;

/**
 * The SOCKS5 handshake with the socks-server failed: a non-zero reply, an auth failure, a protocol error, a
 * close or a timeout. The message names the proxy, the destination and what happened.
 */
public final class Socks5HandshakeException extends IOException {
    /** No reply code: the failure was not a CONNECT reply. */
    public static final int NO_REPLY = -1;

    private final int replyCode;
    private final boolean timeout;

    Socks5HandshakeException(String message, int replyCode, boolean timeout) {
        super(message);
        this.replyCode = replyCode;
        this.timeout = timeout;
    }

    /** The CONNECT reply's REP field (1..255), or {@link #NO_REPLY}. */
    public int replyCode() {
        return replyCode;
    }

    public boolean isTimeout() {
        return timeout;
    }
}
