package mpgw.gateway.upstream;

import java.time.Duration;

/**
 * How the gateway speaks SOCKS5 (<a href="https://www.rfc-editor.org/rfc/rfc1928">RFC 1928</a>) to the
 * socks-server.
 *
 * @param username         RFC 1929 username, or null for no authentication
 * @param pipelined        send greeting, credentials, CONNECT and early data in one write
 * @param handshakeTimeout from upstream connected to CONNECT reply
 * @param earlyDataLimit   client bytes buffered before the CONNECT reply; reading stops beyond it
 */
public record Socks5ClientSettings(String username, String password, boolean pipelined, Duration handshakeTimeout,
                                   int earlyDataLimit) {
    public boolean authenticates() {
        return username != null;
    }

    @Override
    public String toString() {
        // Never print the password.
        return "Socks5ClientSettings[user=" + username + ", pipelined=" + pipelined + ", handshakeTimeout="
                + handshakeTimeout + ", earlyDataLimit=" + earlyDataLimit + "]";
    }
}
