package mpgw.gateway;

import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;

/**
 * Closes a client connection with a TCP RST instead of a FIN: SO_LINGER 0, then close. A flow the gateway cannot
 * carry (CONNECT refused, no socks-server reachable, handshake timeout, redirect loop) thus looks to the client
 * like a refused or reset connection, at once, instead of an accepted connection that hangs or ends cleanly
 * with no data.
 */
final class ConnectionReset {
    private ConnectionReset() {
    }

    static void reset(Channel ch) {
        if (!ch.isOpen()) {
            return;
        }
        try {
            ch.config().setOption(ChannelOption.SO_LINGER, 0);
        } catch (RuntimeException e) {
            // The socket is going away anyway; a plain close is the next best thing.
        }
        ch.close();
    }
}
