package mpgw.gateway.upstream;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

/** Client bytes that arrived before the upstream connection was ready to carry them. Event-loop only. */
@FunctionalInterface
public interface EarlyData {
    EarlyData NONE = () -> Unpooled.EMPTY_BUFFER;

    /**
     * Everything buffered so far; the caller owns (writes or releases) the returned buffer, which may be empty.
     * Reading from the client resumes if it had stopped because the buffer was full.
     */
    ByteBuf take();

    /** Calls {@code listener} after each read that buffered client bytes, and at the client's EOF (null: stop). */
    default void onArrival(Runnable listener) {
    }

    /** True when client bytes are buffered now or the client's EOF came: nothing more to wait for. */
    default boolean hasArrived() {
        return false;
    }

    /**
     * True when the bytes kept for a possible second connection reached their limit ({@link EarlyDataLog}): a
     * handshake then stops taking until its command reply, and the client is held back.
     */
    default boolean full() {
        return false;
    }
}
