package mpgw.server;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.timeout.IdleStateEvent;

/** Closes the channel on the {@link IdleStateEvent} of the {@code IdleStateHandler} before it. */
final class IdleCloseHandler extends ChannelInboundHandlerAdapter {
    private final String outcome;

    IdleCloseHandler(String outcome) {
        this.outcome = outcome;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof IdleStateEvent) {
            ConnectionRecord record = ConnectionRecord.of(ctx.channel());
            if (record != null) {
                record.detail = outcome;
            }
            ctx.close();
        } else {
            ctx.fireUserEventTriggered(evt);
        }
    }
}
