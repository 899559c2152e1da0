package mpgw.gateway.tcp;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.ChannelInputShutdownReadComplete;
import io.netty.util.ReferenceCountUtil;
import mpgw.gateway.upstream.EarlyData;

/**
 * Keeps the client's first bytes while the upstream connection and SOCKS5 handshake are under way, up to a
 * limit; past it, stops reading the client (TCP backpressure) until {@link #take()} empties it. Also remembers
 * an early EOF from the client, so the relay can pass the half-close on once it runs.
 *
 * <p>Sits on the downstream channel, which runs with auto-read off: this handler asks for each read itself.
 * Removed when the relay starts; whatever it still holds is released then. Event-loop only.
 */
public final class EarlyDataBuffer extends ChannelInboundHandlerAdapter implements EarlyData {
    private final int limit;
    private ChannelHandlerContext ctx;
    private CompositeByteBuf buffered;
    private boolean inputShutdown;
    private long taken;
    private Runnable arrival;

    public EarlyDataBuffer(int limit) {
        this.limit = limit;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        buffered = ctx.alloc().compositeBuffer();
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        ctx.read();
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof ByteBuf buf && buffered != null) {
            buffered.addComponent(true, buf);
        } else {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (arrival != null && size() > 0) {
            arrival.run();
        }
        readMoreIfRoom();
    }

    @Override
    public void onArrival(Runnable listener) {
        arrival = listener;
    }

    private void readMoreIfRoom() {
        if (buffered != null && buffered.readableBytes() < limit && !inputShutdown && ctx.channel().isActive()) {
            ctx.read();
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent) {
            inputShutdown = true;
            ReferenceCountUtil.release(evt);
            if (arrival != null) {
                arrival.run(); // nothing more will come: whoever waits for bytes need not wait longer
            }
        } else if (evt instanceof ChannelInputShutdownReadComplete) {
            ReferenceCountUtil.release(evt);
        } else {
            ctx.fireUserEventTriggered(evt);
        }
    }

    @Override
    public boolean hasArrived() {
        return size() > 0 || inputShutdown;
    }

    /** True once the client has shut down its sending side (FIN) before the relay started. */
    public boolean inputShutdown() {
        return inputShutdown;
    }

    /** Bytes buffered now. */
    public int size() {
        return buffered == null ? 0 : buffered.readableBytes();
    }

    /** Bytes handed out by {@link #take()} so far: client bytes the relay never saw. */
    public long taken() {
        return taken;
    }

    @Override
    public ByteBuf take() {
        if (buffered == null || !buffered.isReadable()) {
            return Unpooled.EMPTY_BUFFER;
        }
        ByteBuf out = buffered;
        taken += out.readableBytes();
        buffered = ctx.alloc().compositeBuffer();
        readMoreIfRoom();
        return out;
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        if (buffered != null) {
            buffered.release();
            buffered = null;
        }
    }
}
