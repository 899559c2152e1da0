package mpgw.gateway.upstream;

import io.netty.channel.Channel;
import java.io.IOException;
import mpgw.jni.MptcpInfo;

/** The established subflows of an upstream connection, from MPTCP_INFO. Call on the channel's event loop. */
public final class MptcpSubflows {
    private MptcpSubflows() {
    }

    /** Established subflows, or -1 when the connection is not MPTCP (fell back) or cannot be asked. */
    public static long established(Channel channel) {
        try {
            MptcpInfo info = MptcpInfo.of(channel);
            return info.mptcp() ? info.establishedSubflows() : -1;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** True when {@code channel} is an MPTCP connection with no established subflow left (dead but not closed). */
    public static boolean lostEvery(Channel channel) {
        return established(channel) == 0;
    }
}
