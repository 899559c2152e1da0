package mpgw.relay;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * One direction of a {@link Relay}: what this channel reads is written to {@code peer}.
 * Also the backpressure switch for the other direction: when this channel's own outbound buffer
 * drains, the peer may read again.
 */
final class RelayHandler extends ChannelInboundHandlerAdapter {
    private final Channel peer;
    private final RelayStats stats;
    private final boolean upstreamBound;
    private final WriteStallRetry stallRetry;
    private final Duration drainLimit;

    RelayHandler(Channel peer, RelayStats stats, boolean upstreamBound, RelaySettings settings) {
        this.peer = peer;
        this.stats = stats;
        this.upstreamBound = upstreamBound;
        this.stallRetry = new WriteStallRetry(peer, settings.writeStallRetry());
        this.drainLimit = settings.drainLimit();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (!peer.isActive()) {
            // Nowhere to deliver these bytes: tell the sender the way TCP tells a sender whose peer has closed.
            ReferenceCountUtil.release(msg);
            ConnectionReset.reset(ctx.channel());
            return;
        }
        int n = ((ByteBuf) msg).readableBytes();
        if (upstreamBound) {
            stats.countUp(n);
        } else {
            stats.countDown(n);
        }
        peer.write(msg, peer.voidPromise());
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        peer.flush();
        stallRetry.armIfPending();
        if (!peer.isWritable()) {
            // The peer cannot take more now: stop reading until its buffer drains (see channelWritabilityChanged
            // on the peer's handler). Bounded by the peer's high water mark plus one read.
            ctx.channel().config().setAutoRead(false);
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (ctx.channel().isWritable()) {
            peer.config().setAutoRead(true);
            peer.read();
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent) {
            halfClose(ctx.channel());
        } else {
            ReferenceCountUtil.release(evt);
        }
    }

    /** EOF from this side: finish writing to the peer, then shut the peer's output; close once both ways ended. */
    private void halfClose(Channel self) {
        if (!peer.isActive()) {
            self.close();
            return;
        }
        if (peer instanceof DuplexChannel duplexPeer && duplexPeer.isInputShutdown()) {
            // The other way ended first (the usual end of a request/response flow): nothing more can come either
            // way. Flush both and close; a close sends the FIN a shutdown would, without a shutdown call per flow.
            closeOnFlush(peer, drainLimit);
            closeOnFlush(self, drainLimit);
            return;
        }
        peer.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener((ChannelFutureListener) f -> {
            if (peer instanceof DuplexChannel duplexPeer) {
                duplexPeer.shutdownOutput().addListener(s -> closeIfDone(self));
            } else {
                peer.close();
            }
        });
    }

    private void closeIfDone(Channel self) {
        if (self instanceof DuplexChannel && peer instanceof DuplexChannel) {
            DuplexChannel me = (DuplexChannel) self;
            DuplexChannel other = (DuplexChannel) peer;
            // Both directions have delivered their EOF: nothing is left in flight either way.
            if (me.isShutdown() && other.isShutdown()) {
                me.close();
                other.close();
            }
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        stallRetry.cancel();
        if (ConnectionReset.wasCut(ctx.channel())) {
            ConnectionReset.cut(peer); // cut at the end of the shutdown grace: the other side gets a reset too
        } else {
            closeOnFlush(peer, drainLimit);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // A reset (or any failure) reaches the peer as a reset, not as a FIN after a flush: a FIN would make a cut
        // download look complete, and an MPTCP peer would go on sending into a closed socket (see ConnectionReset).
        // Reported by the owner's end-of-relay log line.
        ConnectionReset.reset(peer);
        ctx.close();
    }

    /**
     * Closes {@code ch} once what is queued for it is written, or as soon as a whole drain period
     * ({@code relay.drain-limit}) passes without any of it being written: an MPTCP peer that closed
     * with unread data does not always reset the connection (seen on 6.18: FIN-WAIT-2, full receive queue, zero
     * window), and the flow would otherwise stay open until the idle timeout, retrying the write every millisecond.
     * A slow peer that still takes bytes keeps the connection as long as it needs.
     */
    static void closeOnFlush(Channel ch, Duration drainLimit) {
        if (ch.isActive()) {
            ch.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
            long period = drainLimit.toMillis();
            long[] before = {queuedBytes(ch)};
            ScheduledFuture<?> watch = ch.eventLoop().scheduleAtFixedRate(() -> {
                long now = queuedBytes(ch);
                if (now >= before[0]) {
                    ch.close(); // nothing drained in a whole period
                }
                before[0] = now;
            }, period, period, TimeUnit.MILLISECONDS);
            ch.closeFuture().addListener(f -> watch.cancel(false));
        } else {
            ch.close();
        }
    }

    private static long queuedBytes(Channel ch) {
        ChannelOutboundBuffer queue = ch.unsafe().outboundBuffer();
        return queue == null ? 0 : queue.totalPendingWriteBytes();
    }
}
