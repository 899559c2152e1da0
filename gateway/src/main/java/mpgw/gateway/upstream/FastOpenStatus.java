package mpgw.gateway.upstream;

import io.netty.channel.Channel;
import io.netty.channel.epoll.EpollSocketChannel;

/**
 * Whether the server acknowledged the data a connection sent in its SYN: {@code TCPI_OPT_SYN_DATA} in
 * {@code tcpi_options}. An MPTCP socket answers TCP_INFO from its first subflow, which carried the SYN. Meaningful
 * once a reply arrived, when the SYN-ACK has certainly been processed.
 */
public final class FastOpenStatus {
    private static final int TCPI_OPT_SYN_DATA = 32;

    private FastOpenStatus() {
    }

    public static boolean synDataAcked(Channel channel) {
        try {
            return channel instanceof EpollSocketChannel c && c.isOpen()
                    && (c.tcpInfo().options() & TCPI_OPT_SYN_DATA) != 0;
        } catch (RuntimeException e) {
            return false; // the socket closed meanwhile: nothing to count as acked
        }
    }
}
