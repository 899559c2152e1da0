package mpgw.gateway.upstream;

import io.netty.channel.Channel;
import io.netty.channel.epoll.EpollSocketChannel;
import java.util.concurrent.TimeUnit;

/**
 * How long {@code pipelined = auto} waits for the command reply after the method reply before it suspects the
 * server dropped the pipelined request: {@value #RTT_MULTIPLE} round trips, at least {@value #FLOOR_MILLIS} ms.
 *
 * <p>Why: a server that read the request answers it after its own connect to the destination, about one more
 * round trip when the destination is as far from router B as router B is from router A; four leave room for a
 * farther destination and a busy server. The floor covers links with sub-millisecond round trips (the testbed
 * without {@code --delay}), where a thread switch or a GC pause of either daemon costs more than the round trip;
 * Dante answered within a few ms there. A suspicion that was wrong costs one extra connection to the same
 * server, which loses the race and is closed; only a server never yet seen answering a pipelined request is
 * watched at all ({@link PipeliningMemory}).
 *
 * <p>The round trip is the larger of the time from the opening write to the method reply and the kernel's
 * smoothed RTT (TCP_INFO, which an MPTCP socket answers from its first subflow): after fast open or on a warm
 * pool member the first is near zero.
 */
final class LateReplyBound {
    static final int RTT_MULTIPLE = 4;
    static final long FLOOR_MILLIS = 50;

    private LateReplyBound() {
    }

    static long nanos(long greetedAfterNanos, Channel channel) {
        long rtt = Math.max(greetedAfterNanos, kernelRttNanos(channel));
        return Math.max(RTT_MULTIPLE * rtt, TimeUnit.MILLISECONDS.toNanos(FLOOR_MILLIS));
    }

    private static long kernelRttNanos(Channel channel) {
        if (!(channel instanceof EpollSocketChannel c) || !c.isActive()) {
            return 0;
        }
        try {
            return TimeUnit.MICROSECONDS.toNanos(c.tcpInfo().rtt());
        } catch (RuntimeException e) { // the socket closed meanwhile
            return 0;
        }
    }
}
