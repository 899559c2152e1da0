package mpgw.gateway.tcp;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.io.IOException;
import java.net.InetSocketAddress;
import mpgw.connection.Outcome;

/**
 * First handler of an accepted connection: finds the flow's original destination once (SO_ORIGINAL_DST under
 * REDIRECT, the local address under TPROXY), stores it in the {@link Flow}, and refuses flows aimed at the
 * gateway itself ({@link LoopGuard}, log line "redirect loop"). Then removes itself and lets the flow start.
 *
 * <p>Threading: the channel's event loop. Sharable: it keeps no per-channel state.
 */
@io.netty.channel.ChannelHandler.Sharable
final class OriginalDstHandler extends ChannelInboundHandlerAdapter {
    private final DestinationSource source;
    private final LoopGuard loopGuard;

    OriginalDstHandler(DestinationSource source, LoopGuard loopGuard) {
        this.source = source;
        this.loopGuard = loopGuard;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        Flow flow = Flow.of(ctx.channel());
        InetSocketAddress destination;
        try {
            destination = source.destinationOf(ctx.channel());
        } catch (IOException e) {
            flow.refuse(Outcome.NO_DESTINATION, "no original destination (" + e.getMessage()
                    + "); is the connection NATed to this port by an iptables REDIRECT rule?");
            return;
        }
        flow.destination(destination);
        // Under TPROXY the destination is the local address by design; under REDIRECT an equal one means no NAT.
        InetSocketAddress local = source == DestinationSource.TPROXY ? null
                : (InetSocketAddress) ctx.channel().localAddress();
        String loop = loopGuard.check(destination, local);
        if (loop != null) {
            flow.refuse(Outcome.LOOP, "redirect loop: " + loop + "; refused");
            return;
        }
        ctx.pipeline().remove(this);
        ctx.fireChannelActive();
    }
}
