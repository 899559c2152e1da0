package mpgw.gateway.upstream;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;

/**
 * Client bytes handed to a handshake that may have to be repeated on another connection: keeps a copy of
 * everything {@link #take()} returned until {@link #release()}, and after {@link #rewind()} returns those bytes
 * again, ahead of newer ones. Used for pooled upstream connections, which can turn out dead only when the first
 * write meets a RST; the flow then retries on a fresh connection without losing what the client sent.
 *
 * <p>Event-loop only. The owner must call {@link #release()} once (success, failure or client gone).
 */
final class RetainingEarlyData implements EarlyData {
    private final EarlyData source;
    private final ByteBufAllocator alloc;
    private CompositeByteBuf replay;
    private CompositeByteBuf sent;

    RetainingEarlyData(EarlyData source, ByteBufAllocator alloc) {
        this.source = source;
        this.alloc = alloc;
        this.sent = alloc.compositeBuffer();
    }

    @Override
    public ByteBuf take() {
        ByteBuf fresh = source.take();
        if (sent == null) {
            return fresh; // released: the flow is over, nothing to keep
        }
        ByteBuf out = fresh;
        if (replay != null) {
            out = replay.addComponent(true, fresh);
            replay = null;
        }
        if (out.isReadable()) {
            sent.addComponent(true, out.retainedDuplicate());
        }
        return out;
    }

    @Override
    public void onArrival(Runnable listener) {
        source.onArrival(listener);
    }

    /** The next {@link #take()} starts again with every byte taken so far. */
    void rewind() {
        CompositeByteBuf again = alloc.compositeBuffer();
        if (replay != null) {
            again.addComponent(true, replay);
        }
        again.addComponent(true, sent);
        replay = again;
        sent = alloc.compositeBuffer();
    }

    void release() {
        if (replay != null) {
            replay.release();
            replay = null;
        }
        if (sent != null) {
            sent.release();
            sent = null;
        }
    }
}
