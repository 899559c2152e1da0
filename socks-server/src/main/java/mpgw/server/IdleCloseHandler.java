package mpgw.server;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.timeout.IdleStateEvent;
import mpgw.connection.ConnectionRecord;

/** Closes the channel on the {@link IdleStateEvent} of the {@code IdleStateHandler} before it. */
final class IdleCloseHandler extends ChannelInboundHandlerAdapter {
    private final String detail;

    /** @param detail why the connection ended, for its log line ({@code idle-timeout}) */
    IdleCloseHandler(String detail) {
        this.detail = detail;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof IdleStateEvent) {
            ConnectionRecord record = ConnectionRecord.of(ctx.channel());
            if (record != null) {
                record.detail(detail);
            }
            ctx.close();
        } else {
            ctx.fireUserEventTriggered(evt);
        }
    }
}
