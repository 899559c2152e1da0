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
 *
 * <p>A retry that writes nothing (the link, not the wake-up, is the bottleneck) doubles the wait before the next
 * one, up to {@link #MAX_BACKOFF_MICROS}; one that writes goes back to the period. Without it every stalled
 * channel cost a write attempt per period for as long as it stayed stalled: 512 UDP streams of one flooding LAN
 * host kept both cores busy for seconds after the flood (issue 20, {@code LanHostBudgetsTest}).
 */
public final class WriteStallRetry {
    private final Channel channel;
    /** The longest wait between retries that write nothing; epoll's own EPOLLOUT still comes in between. */
    static final long MAX_BACKOFF_MICROS = 32_000;

    private final long periodMicros;
    private long delayMicros;
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
        delayMicros = periodMicros;
        schedule();
    }

    private void schedule() {
        timer = channel.eventLoop().schedule(this::retry, delayMicros, TimeUnit.MICROSECONDS);
    }

    private void retry() {
        timer = null;
        if (!channel.isActive() || !hasPendingBytes()) {
            return;
        }
        long before = pendingBytes();
        MpgwEpollAccess.retryPendingWrite(channel);
        long after = pendingBytes();
        if (after == 0 || !channel.isActive()) {
            return;
        }
        delayMicros = after < before ? periodMicros : Math.min(delayMicros * 2, Math.max(periodMicros,
                MAX_BACKOFF_MICROS));
        schedule();
    }

    public void cancel() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }

    private boolean hasPendingBytes() {
        return pendingBytes() > 0;
    }

    private long pendingBytes() {
        ChannelOutboundBuffer buffer = channel.unsafe().outboundBuffer();
        return buffer == null ? 0 : buffer.totalPendingWriteBytes();
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
