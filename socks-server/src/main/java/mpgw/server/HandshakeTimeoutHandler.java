package mpgw.server;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import mpgw.connection.ConnectionRecord;
import mpgw.connection.Outcome;

/**
 * Closes a client that has not completed its request within {@code timeouts.handshake} of accept (slowloris
 * guard). Unlike a read timeout it cannot be kept alive by trickling one byte at a time. The handshake
 * handler removes it once a request is decoded.
 */
final class HandshakeTimeoutHandler extends ChannelInboundHandlerAdapter {
    private final Duration timeout;
    private final ServerEvents events;
    private ScheduledFuture<?> timer;

    HandshakeTimeoutHandler(Duration timeout, ServerEvents events) {
        this.timeout = timeout;
        this.events = events;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        timer = ctx.executor().schedule(() -> {
            events.dropped(Drop.HANDSHAKE_TIMEOUT);
            ConnectionRecord record = ConnectionRecord.of(ctx.channel());
            if (record != null) {
                record.outcome(Outcome.HANDSHAKE_TIMEOUT, null);
            }
            ctx.close();
        }, timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        timer.cancel(false);
    }
}
