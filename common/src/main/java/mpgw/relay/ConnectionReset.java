package mpgw.relay;

import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.util.AttributeKey;
import mpgw.connection.ConnectionRecord;

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

    private static final AttributeKey<Boolean> CUT = AttributeKey.valueOf(ConnectionReset.class, "cut");

    /**
     * Cuts {@code ch} at the end of a shutdown grace period: its record ends as {@code cut}, it is reset, and the
     * relay resets its peer too (see {@link #wasCut}) instead of closing it with a FIN after a flush, which
     * would make a cut transfer look complete at the other end.
     */
    public static void cut(Channel ch) {
        ch.attr(CUT).set(Boolean.TRUE);
        ConnectionRecord record = ConnectionRecord.of(ch);
        if (record != null) {
            record.cut();
        }
        reset(ch);
    }

    /** Whether {@code ch} was {@link #cut}. */
    public static boolean wasCut(Channel ch) {
        return Boolean.TRUE.equals(ch.attr(CUT).get());
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
