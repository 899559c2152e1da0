package mpgw.server;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.DatagramPacket;
import io.netty.handler.codec.socksx.v5.Socks5CommandStatus;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import mpgw.config.Addresses;
import mpgw.connection.ConnectionRecord;
import mpgw.connection.Outcome;
import mpgw.socks.FwdUdpFrame;
import mpgw.socks.FwdUdpFrameDecoder;
import mpgw.socks.FwdUdpFrameEncoder;

/**
 * FWD UDP (command 0x05, the hev-socks5 "UDP in TCP" extension): after the reply, the TCP stream carries
 * {@link FwdUdpFrame}s both ways. Frames from the client go to their destinations through one dual-stack
 * datagram socket per stream; datagrams coming back are framed with their source address.
 *
 * <p>Backpressure: a reply that arrives while the stream is not writable is dropped and counted (UDP may
 * lose datagrams; buffering them would not bound memory). A corrupt frame ends the stream, since framing
 * is lost. The session ends with the stream, or after {@code timeouts.udp-idle} without traffic.
 *
 * <p>Threading: the datagram socket is on the stream's event loop; no locks.
 */
final class FwdUdpHandler extends CommandHandler {
    static final String KIND = "fwd-udp";

    private final ServerContext context;
    private final ArrayDeque<ByteBuf> earlyData = new ArrayDeque<>();
    private Channel tcp;
    private Channel remoteSide;
    private UdpOutbound outbound;
    private boolean opened;

    FwdUdpHandler(ServerContext context) {
        this.context = context;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        tcp = ctx.channel();
        outbound = new UdpOutbound(context, ConnectionRecord.of(tcp));
        var bind = UdpOutbound.bindNow(tcp.eventLoop(), new RemoteSideHandler()); // done here: start runs at once
        remoteSide = bind.channel();
        bind.addListener((ChannelFutureListener) f -> {
            if (!tcp.isActive()) {
                remoteSide.close();
            } else if (!f.isSuccess()) {
                releaseEarlyData();
                Replies.refuseAndClose(context, tcp, Socks5CommandStatus.FAILURE, "udp bind: " + f.cause().getMessage());
            } else {
                start(ctx);
            }
        });
    }

    private void start(ChannelHandlerContext ctx) {
        opened = true;
        ConnectionRecord.of(tcp).outcome(Outcome.RELAYED, null); // the session relays from now on
        context.events().udpSession(KIND, true);
        Replies.grant(context, tcp, Addresses.normalize((InetSocketAddress) tcp.localAddress()));
        ChannelPipeline p = tcp.pipeline();
        p.remove(ServerPipeline.SOCKS_DECODER);
        p.remove(ServerPipeline.SOCKS_ENCODER);
        p.addBefore(ServerPipeline.COMMAND, ServerPipeline.IDLE_TIMEOUT, new IdleStateHandler(0, 0,
                context.settings().timeouts().udpIdle().toMillis(), TimeUnit.MILLISECONDS));
        p.addBefore(ServerPipeline.COMMAND, ServerPipeline.IDLE_CLOSE, new IdleCloseHandler("udp-idle-timeout"));
        p.addBefore(ServerPipeline.COMMAND, ServerPipeline.FWD_UDP_DECODER, new FwdUdpFrameDecoder());
        p.addBefore(ServerPipeline.COMMAND, ServerPipeline.FWD_UDP_ENCODER, FwdUdpFrameEncoder.INSTANCE);
        // Bytes pipelined behind the request are frames: run them through the new decoder first.
        ChannelHandlerContext beforeDecoder = p.context(ServerPipeline.IDLE_CLOSE);
        if (!earlyData.isEmpty()) {
            ByteBuf b;
            while ((b = earlyData.poll()) != null) {
                beforeDecoder.fireChannelRead(b);
            }
            beforeDecoder.fireChannelReadComplete();
        }
        tcp.config().setAutoRead(true);
        tcp.read();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof FwdUdpFrame) {
            FwdUdpFrame frame = (FwdUdpFrame) msg;
            outbound.send(remoteSide, frame.address(), frame.content());
        } else if (msg instanceof ByteBuf && !opened && tcp.isActive()) {
            earlyData.add((ByteBuf) msg);
        } else if (msg instanceof ByteBuf && tcp.isActive()) {
            // Bytes pipelined behind the request that the request's decoder passes on after start removed it
            // (start runs inside the request's read): frames, so into the frame decoder.
            ctx.pipeline().context(ServerPipeline.IDLE_CLOSE).fireChannelRead(msg);
        } else {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        releaseEarlyData();
        remoteSide.close();
        if (opened) {
            opened = false;
            context.events().udpSession(KIND, false);
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        releaseEarlyData();
    }

    private void releaseEarlyData() {
        ByteBuf b;
        while ((b = earlyData.poll()) != null) {
            b.release();
        }
    }

    /** Datagrams from destinations, framed back onto the stream. */
    private final class RemoteSideHandler extends SimpleChannelInboundHandler<DatagramPacket> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
            if (!opened || !tcp.isWritable()) {
                context.events().dropped(Drop.UDP_BACKPRESSURE);
                return;
            }
            int n = packet.content().readableBytes();
            if (n > FwdUdpFrame.MAX_PAYLOAD) {
                context.events().dropped(Drop.UDP_MALFORMED);
                return;
            }
            outbound.countDown(n);
            tcp.write(new FwdUdpFrame(Addresses.normalize(packet.sender()), packet.content().retain()),
                    tcp.voidPromise());
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            tcp.flush();
        }
    }
}
