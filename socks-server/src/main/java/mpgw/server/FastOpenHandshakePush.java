package mpgw.server;

import io.netty.channel.Channel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.epoll.EpollTcpInfo;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Works around a kernel MPTCP behaviour (seen on 6.18) with TCP Fast Open: a connection accepted from SYN data is
 * handed to the server before the client's handshake ACK arrives, and what the server writes then (the SOCKS
 * replies, a destination's first bytes) waits at the MPTCP level because the subflow cannot send yet. When the
 * handshake completes nothing pushes that data: it leaves only with the next write or the client's next data, so
 * with a silent client the flow stalls until a timeout (measured: 10 s, on links with a 20 ms round trip).
 *
 * <p>So while the connection is still in SYN_RECV this checks every millisecond, at most for {@code limit}, and
 * once the handshake is done sets TCP_NODELAY again, which makes the kernel push pending data
 * ({@code mptcp_check_and_set_pending} in the MPTCP TCP_NODELAY setsockopt). Connections accepted after their
 * handshake (no SYN data, or plain TCP) are not touched. Event-loop only.
 */
final class FastOpenHandshakePush {
    private static final int TCP_SYN_RECV = 3;
    private static final long POLL_MICROS = 1000;

    private FastOpenHandshakePush() {
    }

    static void watch(Channel ch, Duration limit) {
        if (ch instanceof EpollSocketChannel c && inSynRecv(c)) {
            long deadline = System.nanoTime() + limit.toNanos();
            c.eventLoop().schedule(() -> poll(c, deadline), POLL_MICROS, TimeUnit.MICROSECONDS);
        }
    }

    private static void poll(EpollSocketChannel c, long deadline) {
        if (!c.isOpen()) {
            return;
        }
        if (inSynRecv(c)) {
            if (System.nanoTime() < deadline) {
                c.eventLoop().schedule(() -> poll(c, deadline), POLL_MICROS, TimeUnit.MICROSECONDS);
            }
            return;
        }
        try {
            c.config().setTcpNoDelay(true);
        } catch (RuntimeException e) {
            // closed meanwhile: nothing left to push
        }
    }

    private static boolean inSynRecv(EpollSocketChannel c) {
        try {
            EpollTcpInfo info = c.tcpInfo();
            return info.state() == TCP_SYN_RECV;
        } catch (RuntimeException e) {
            return false;
        }
    }
}
