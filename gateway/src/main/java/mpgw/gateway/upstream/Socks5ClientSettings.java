package mpgw.gateway.upstream;

import java.time.Duration;

/**
 * How the gateway speaks SOCKS5 (<a href="https://www.rfc-editor.org/rfc/rfc1928">RFC 1928</a>) to the
 * socks-server.
 *
 * @param username          RFC 1929 username, or null for no authentication
 * @param pipelined         send greeting, credentials, CONNECT and early data in one write
 * @param handshakeTimeout  from upstream connected to CONNECT reply
 * @param earlyDataLimit    client bytes buffered before the CONNECT reply; reading stops beyond it
 * @param adaptive          {@code pipelined = auto}: pipelined, but a late command reply after the method reply
 *                          makes the flow race a step-by-step connection, and servers that lose are remembered
 *                          ({@link PipeliningMemory})
 * @param pipeliningMemory  how long auto remembers what it learnt of a server
 */
public record Socks5ClientSettings(String username, String password, boolean pipelined, Duration handshakeTimeout,
                                   int earlyDataLimit, boolean adaptive, Duration pipeliningMemory) {
    /** {@code pipelined = on} or {@code off}: no adaptation. */
    public Socks5ClientSettings(String username, String password, boolean pipelined, Duration handshakeTimeout,
                                int earlyDataLimit) {
        this(username, password, pipelined, handshakeTimeout, earlyDataLimit, false, Duration.ZERO);
    }

    public boolean authenticates() {
        return username != null;
    }

    /** The same settings for one step-by-step handshake (a server that drops pipelined bytes). */
    public Socks5ClientSettings stepByStep() {
        return new Socks5ClientSettings(username, password, false, handshakeTimeout, earlyDataLimit, false,
                pipeliningMemory);
    }

    /** The value of {@code gateway.socks.pipelined}: auto, on or off. */
    public String pipelinedKey() {
        return adaptive ? "auto" : pipelined ? "on" : "off";
    }

    @Override
    public String toString() {
        // Never print the password.
        return "Socks5ClientSettings[user=" + username + ", pipelined=" + pipelinedKey() + ", handshakeTimeout="
                + handshakeTimeout + ", earlyDataLimit=" + earlyDataLimit + "]";
    }
}
