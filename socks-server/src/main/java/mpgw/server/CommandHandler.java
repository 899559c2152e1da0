package mpgw.server;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import mpgw.connection.ConnectionRecord;

/**
 * The end every command handler (CONNECT, BIND, UDP ASSOCIATE, FWD UDP) shares: the client's EOF ends the command
 * (half-closure is on only for the relay's sake), and an exception on the client connection (a reset) is noted in
 * the connection's log line, without a stack trace, and closes it.
 */
abstract class CommandHandler extends ChannelInboundHandlerAdapter {
    @Override
    public final void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent) {
            clientEof(ctx);
        } else {
            ctx.fireUserEventTriggered(evt);
        }
    }

    /** The client sent EOF before the command handed the connection to a relay: by default the command ends. */
    void clientEof(ChannelHandlerContext ctx) {
        ctx.close();
    }

    @Override
    public final void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        clientFailed(ctx, cause);
    }

    /** Notes {@code cause} in the connection's record and closes it; for the handshake handler too. */
    static void clientFailed(ChannelHandlerContext ctx, Throwable cause) {
        ConnectionRecord.of(ctx.channel()).detail("client error: " + cause.getMessage());
        ctx.close();
    }
}
