package mpgw.relay;

import io.netty.channel.Channel;
import java.util.function.Consumer;

/**
 * Byte counts of one relay, and its end: {@code onEnd} runs once, on the event loop, after both
 * channels have closed. Touched only from the relay's event loop.
 */
public final class RelayStats {
    private final ByteMeter meter;
    private final Consumer<RelayStats> onEnd;
    private long bytesUp;
    private long bytesDown;
    private int open;
    private boolean ended;

    RelayStats(ByteMeter meter, Consumer<RelayStats> onEnd) {
        this.meter = meter;
        this.onEnd = onEnd;
    }

    void watch(Channel... channels) {
        open = channels.length;
        for (Channel ch : channels) {
            ch.closeFuture().addListener(f -> closed());
        }
    }

    private void closed() {
        if (--open == 0 && !ended) {
            ended = true;
            onEnd.accept(this);
        }
    }

    void countUp(long n) {
        bytesUp += n;
        meter.add(n, 0);
    }

    void countDown(long n) {
        bytesDown += n;
        meter.add(0, n);
    }

    /** Bytes read from the downstream (client) side and written upstream. */
    public long bytesUp() {
        return bytesUp;
    }

    /** Bytes read from the upstream side and written downstream (to the client). */
    public long bytesDown() {
        return bytesDown;
    }
}
