package mpgw.relay;

import io.netty.channel.Channel;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.epoll.MpgwEpollAccess;
import io.netty.channel.unix.UnixChannel;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import mpgw.jni.MptcpSocketFactory;

/**
 * Works around a late write wake-up of non-blocking MPTCP sockets: once the send buffer fills, the kernel reports
 * EPOLLOUT much later than space frees up, and a relay that waits for it gets about a tenth of a fast link
 * (docs/kernel.md, with the measurements). While an MPTCP channel has unwritten bytes after a flush, this retries
 * its write once a period ({@code relay.write-stall-retry}; zero = never) through Netty's EPOLLOUT path, which is
 * what the wake-up would have done. Plain TCP channels are left to epoll. Event-loop confined.
 */
public final class WriteStallRetry {
    private final Channel channel;
    private final long periodMicros;
    private Boolean mptcp;
    private ScheduledFuture<?> timer;

    public WriteStallRetry(Channel channel, Duration period) {
        this.channel = channel;
        this.periodMicros = TimeUnit.NANOSECONDS.toMicros(period.toNanos());
    }

    /** Call after a flush: starts retrying if bytes are still waiting for the socket. */
    public void armIfPending() {
        if (timer != null || !hasPendingBytes() || periodMicros <= 0 || !isMptcp()) {
            return;
        }
        timer = channel.eventLoop().scheduleWithFixedDelay(this::retry, periodMicros, periodMicros,
                TimeUnit.MICROSECONDS);
    }

    private void retry() {
        if (!channel.isActive() || !hasPendingBytes()) {
            cancel();
            return;
        }
        MpgwEpollAccess.retryPendingWrite(channel);
    }

    public void cancel() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }

    private boolean hasPendingBytes() {
        ChannelOutboundBuffer buffer = channel.unsafe().outboundBuffer();
        return buffer != null && buffer.totalPendingWriteBytes() > 0;
    }

    private boolean isMptcp() {
        if (mptcp == null) {
            try {
                mptcp = channel instanceof UnixChannel
                        && MptcpSocketFactory.isMptcpSocket(((UnixChannel) channel).fd());
            } catch (Exception | LinkageError e) {
                mptcp = false; // no jni library loaded here: then no MPTCP socket can exist either
            }
        }
        return mptcp;
    }
}
