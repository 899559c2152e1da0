package mpgw.gateway.upstream;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import java.util.ArrayList;
import java.util.List;

/**
 * The client's bytes kept for a flow whose handshake may run on more than one connection: a dead pooled member
 * replaced by a fresh connection, or a pipelined handshake raced by a step-by-step one ({@link Attempt}). Each
 * connection reads the log through its own {@link #view()}, a cursor that starts at the first byte, so each gets
 * every client byte exactly once, in order, whichever connection ends up carrying the flow.
 *
 * <p>Bounded: a view says {@link EarlyData#full()} once the log holds {@code limit} bytes, and a pipelined
 * handshake then stops taking until its command reply; the client's own buffer fills and reading from the client
 * stops (backpressure). A view's {@code take()} after the command reply takes whatever is buffered, so the log
 * holds at most {@code limit} plus one client buffer.
 *
 * <p>Event-loop only. The owner calls {@link #release()} once (the flow left setup); after it, views pass new
 * bytes straight through and keep nothing.
 */
final class EarlyDataLog {
    private final EarlyData source;
    private final ByteBufAllocator alloc;
    private final int limit;
    private final List<View> views = new ArrayList<>(2);
    private CompositeByteBuf log;

    EarlyDataLog(EarlyData source, ByteBufAllocator alloc, int limit) {
        this.source = source;
        this.alloc = alloc;
        this.limit = limit;
        this.log = alloc.compositeBuffer(Integer.MAX_VALUE);
    }

    /** A new reader of the client's bytes, from the first one. */
    EarlyData view() {
        View v = new View();
        views.add(v);
        return v;
    }

    /** Bytes logged so far. */
    int size() {
        return log == null ? 0 : log.writerIndex();
    }

    private void pull() {
        ByteBuf fresh = source.take();
        if (log == null || !fresh.isReadable()) {
            fresh.release();
            return;
        }
        log.addComponent(true, fresh);
    }

    private void arrived() {
        for (View v : List.copyOf(views)) {
            if (v.listener != null) {
                v.listener.run();
            }
        }
    }

    void release() {
        if (log != null) {
            log.release();
            log = null;
        }
    }

    private final class View implements EarlyData {
        private int cursor;
        private Runnable listener;

        @Override
        public ByteBuf take() {
            if (log == null) {
                return source.take(); // released: the flow is past setup, nothing to keep
            }
            pull();
            int end = log.writerIndex();
            if (cursor == end) {
                return alloc.buffer(0);
            }
            ByteBuf out = log.retainedSlice(cursor, end - cursor);
            cursor = end;
            return out;
        }

        @Override
        public void onArrival(Runnable listener) {
            this.listener = listener;
            if (listener != null) {
                // Set here, not at construction: a fast-open wait uses the source's one listener before.
                source.onArrival(EarlyDataLog.this::arrived);
            }
        }

        @Override
        public boolean hasArrived() {
            return log != null && cursor < log.writerIndex() || source.hasArrived();
        }

        @Override
        public boolean full() {
            return size() >= limit;
        }
    }
}
