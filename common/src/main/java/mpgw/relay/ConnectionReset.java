package mpgw.relay;

import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;

/**
 * Closes a connection with a reset instead of a FIN: SO_LINGER 0, then close. On TCP that is an RST, on MPTCP an
 * MP_FASTCLOSE. The gateway answers a flow it cannot carry (CONNECT refused, no socks-server reachable, handshake
 * timeout, redirect loop) this way, so the client sees a refused or reset connection at once instead of an
 * accepted one that hangs or ends cleanly with no data. The relay passes a reset on the same way.
 *
 * <p>A plain close is not enough for MPTCP: on 6.18 an MPTCP socket closed with nothing unread keeps accepting
 * data into its orphaned receive queue (4 MB and more), where TCP answers the first late segment with an RST.
 */
public final class ConnectionReset {
    private ConnectionReset() {
    }

    public static void reset(Channel ch) {
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
