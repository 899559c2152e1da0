package mpgw.server;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * On a listening channel: logs a failed accept (EMFILE when out of file descriptors, ENFILE, ENOBUFS) as one
 * warning line naming the listener, instead of Netty's stack trace. The listener keeps running; Netty's epoll
 * transport pauses accepting for a second after such an error, which also bounds how often this logs.
 */
@ChannelHandler.Sharable
final class AcceptErrorLogger extends ChannelInboundHandlerAdapter {
    static final AcceptErrorLogger INSTANCE = new AcceptErrorLogger();
    private static final Logger LOG = LogManager.getLogger(SocksServer.class);

    private AcceptErrorLogger() {
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.warn("accept failed on {}: {}", ctx.channel().localAddress(), cause.getMessage());
    }
}
