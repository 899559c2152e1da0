package mpgw.server;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.DatagramPacket;
import io.netty.handler.codec.socksx.v5.Socks5CommandStatus;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.PromiseCombiner;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import mpgw.config.Addresses;
import mpgw.connection.ConnectionRecord;
import mpgw.connection.Outcome;
import mpgw.socks.Socks5UdpHeader;

/**
 * UDP ASSOCIATE (RFC 1928 §7). Two datagram sockets per association, on the client's event loop:
 * <ul>
 *   <li>the <em>client side</em>, bound on the local address the client's TCP connection reached (so the
 *       reply's BND.ADDR is an address the client can reach, never 0.0.0.0), accepts only datagrams from
 *       the client's IP (and port, when the request named one); FRAG != 0 and malformed headers are dropped
 *       and counted;</li>
 *   <li>the <em>remote side</em>, dual-stack on {@code [::]:0}, sends payloads to their destinations and
 *       receives the replies, which go back to the client with the SOCKS5 UDP header naming their source.</li>
 * </ul>
 * The association ends when the TCP connection closes, or after {@code timeouts.udp-idle} without datagrams
 * (which closes the TCP connection too). Bytes on the TCP connection after the reply are discarded.
 */
final class UdpAssociateHandler extends CommandHandler {
    static final String KIND = "udp-associate";

    private final ServerContext context;
    private final InetSocketAddress requested;
    private Channel tcp;
    private Channel clientSide;
    private Channel remoteSide;
    private InetAddress clientIp;
    /** Where replies go: fixed by the request's port, or learned from the client's first datagram. */
    private InetSocketAddress clientUdp;
    private int expectedPort;
    private UdpOutbound outbound;
    private boolean opened;

    UdpAssociateHandler(ServerContext context, InetSocketAddress requested) {
        this.context = context;
        this.requested = requested;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        tcp = ctx.channel();
        outbound = new UdpOutbound(context, ConnectionRecord.of(tcp));
        clientIp = Addresses.normalize(((InetSocketAddress) tcp.remoteAddress()).getAddress());
        expectedPort = requested.isUnresolved() ? 0 : requested.getPort();
        InetAddress local = Addresses.normalize(((InetSocketAddress) tcp.localAddress()).getAddress());

        var bindClient = UdpOutbound.bind(tcp.eventLoop(), local, new ClientSideHandler());
        var bindRemote = UdpOutbound.bind(tcp.eventLoop(), null, new RemoteSideHandler());
        clientSide = bindClient.channel();
        remoteSide = bindRemote.channel();
        io.netty.util.concurrent.Promise<Void> both = tcp.eventLoop().newPromise();
        PromiseCombiner combiner = new PromiseCombiner(tcp.eventLoop());
        combiner.addAll(bindClient, bindRemote);
        combiner.finish(both);
        both.addListener(f -> {
            if (!tcp.isActive()) {
                closeSockets();
            } else if (!f.isSuccess()) {
                closeSockets();
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
        Replies.grant(context, tcp, Addresses.normalize((InetSocketAddress) clientSide.localAddress()));
        tcp.pipeline().remove(ServerPipeline.SOCKS_DECODER);
        tcp.pipeline().remove(ServerPipeline.SOCKS_ENCODER);
        clientSide.pipeline().addFirst(new IdleStateHandler(0, 0,
                context.settings().timeouts().udpIdle().toMillis(), TimeUnit.MILLISECONDS));
        // Reading the TCP side only to notice EOF or a reset, which ends the association.
        tcp.config().setAutoRead(true);
        tcp.read();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ReferenceCountUtil.release(msg);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        closeSockets();
        ctx.fireChannelInactive();
    }

    private void closeSockets() {
        if (clientSide != null) {
            clientSide.close();
            remoteSide.close();
        }
        if (opened) {
            opened = false;
            context.events().udpSession(KIND, false);
        }
    }

    /** Datagrams from the client: check the source, strip the header, send on. */
    private final class ClientSideHandler extends SimpleChannelInboundHandler<DatagramPacket> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
            InetSocketAddress sender = Addresses.normalize(packet.sender());
            if (!sender.getAddress().equals(clientIp) || (expectedPort != 0 && sender.getPort() != expectedPort)) {
                context.events().dropped(Drop.UDP_FOREIGN_SOURCE);
                return;
            }
            ByteBuf content = packet.content();
            Socks5UdpHeader header;
            try {
                header = Socks5UdpHeader.read(content);
            } catch (RuntimeException e) {
                context.events().dropped(Drop.UDP_MALFORMED);
                return;
            }
            if (header.fragment() != 0) {
                context.events().dropped(Drop.UDP_FRAGMENT);
                return;
            }
            clientUdp = sender;
            outbound.send(remoteSide, header.address(), content.retain());
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof IdleStateEvent) {
                ConnectionRecord.of(tcp).detail("udp-idle-timeout");
                tcp.close();
            }
        }
    }

    /** Datagrams from destinations: prefix the SOCKS5 UDP header with their source, send to the client. */
    private final class RemoteSideHandler extends SimpleChannelInboundHandler<DatagramPacket> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
            if (clientUdp == null) {
                context.events().dropped(Drop.UDP_NO_CLIENT_YET);
                return;
            }
            if (!clientSide.isWritable()) {
                context.events().dropped(Drop.UDP_BACKPRESSURE);
                return;
            }
            InetSocketAddress source = Addresses.normalize(packet.sender());
            ByteBuf payload = packet.content();
            int n = payload.readableBytes();
            ByteBuf out = ctx.alloc().ioBuffer(Socks5UdpHeader.encodedLength(source) + n);
            Socks5UdpHeader.write(source, out);
            out.writeBytes(payload, payload.readerIndex(), n);
            outbound.countDown(n);
            clientSide.writeAndFlush(new DatagramPacket(out, clientUdp), clientSide.voidPromise());
        }
    }
}
