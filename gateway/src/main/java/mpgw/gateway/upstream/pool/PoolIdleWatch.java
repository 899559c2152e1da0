package mpgw.gateway.upstream.pool;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;

/**
 * Watches a pool member while it idles after its greeting: a server sends nothing before the command request, so
 * any byte, EOF or error ends the member (the pool hears of the close). Keeps one read pending, as the channel
 * runs with auto-read off. Removed when the member is handed out. Event-loop only.
 */
final class PoolIdleWatch extends ChannelInboundHandlerAdapter {
    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        ctx.read();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ReferenceCountUtil.release(msg);
        ctx.close();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }
}
