package mpgw.gateway.tcp;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import java.util.concurrent.TimeUnit;

/**
 * Closes a downstream connection after no bytes moved either way for the idle timeout. On the downstream
 * channel it sees both directions: the client's reads, and the writes of what the server sent. The relay then
 * closes the upstream too.
 */
final class IdleTimeoutHandler extends IdleStateHandler {
    IdleTimeoutHandler(long millis) {
        super(0, 0, millis, TimeUnit.MILLISECONDS);
    }

    @Override
    protected void channelIdle(ChannelHandlerContext ctx, IdleStateEvent evt) {
        ctx.close();
    }
}
