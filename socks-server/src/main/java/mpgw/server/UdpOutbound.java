package mpgw.server;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.socket.SocketProtocolFamily;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import mpgw.connection.ConnectionRecord;

/**
 * The datagram sockets of a UDP session, and the one way a client's datagram leaves the server: resolve the
 * destination, apply the destination rules, and send it unless the socket is full. Every refused datagram is
 * counted as a {@link Drop}.
 *
 * <p>Threading: one instance per session, used only on that session's event loop.
 */
final class UdpOutbound {
    /** Large enough for any UDP payload: a smaller receive buffer would truncate datagrams silently. */
    static final int MAX_DATAGRAM = 65536;

    private static final InetAddress IPV6_ANY = mpgw.config.Addresses.parseLiteral("::");

    private final ServerContext context;
    private final ConnectionRecord record;

    UdpOutbound(ServerContext context, ConnectionRecord record) {
        this.context = context;
        this.record = record;
    }

    /** Binds a datagram socket on {@code loop}: dual-stack {@code [::]:0} when {@code local} is null. */
    static ChannelFuture bind(EventLoop loop, InetAddress local, ChannelHandler handler) {
        SocketProtocolFamily family = local == null || local instanceof java.net.Inet6Address
                ? SocketProtocolFamily.INET6 : SocketProtocolFamily.INET;
        InetSocketAddress address = new InetSocketAddress(local == null ? IPV6_ANY : local, 0);
        return new Bootstrap()
                .group(loop)
                .channelFactory(() -> new EpollDatagramChannel(family))
                .option(ChannelOption.RCVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(MAX_DATAGRAM))
                .handler(handler)
                .bind(address);
    }

    /** Sends {@code payload} (ownership passes here) from {@code socket} to {@code destination}. */
    void send(Channel socket, InetSocketAddress destination, ByteBuf payload) {
        if (!destination.isUnresolved()) {
            sendResolved(socket, destination, payload);
            return;
        }
        context.resolver().resolve(socket.eventLoop(), destination).addListener(f -> {
            if (!f.isSuccess()) {
                payload.release();
                context.events().dropped(Drop.UDP_UNRESOLVED);
            } else {
                sendResolved(socket, (InetSocketAddress) f.getNow(), payload);
            }
        });
    }

    private void sendResolved(Channel socket, InetSocketAddress destination, ByteBuf payload) {
        if (context.policy().denial(destination) != null) {
            payload.release();
            context.events().dropped(Drop.UDP_DENIED);
        } else if (!socket.isActive() || !socket.isWritable()) {
            payload.release();
            context.events().dropped(Drop.UDP_BACKPRESSURE);
        } else {
            record.addBytes(payload.readableBytes(), 0);
            context.events().datagram(true);
            context.events().bytes(payload.readableBytes(), 0);
            socket.writeAndFlush(new DatagramPacket(payload, destination), socket.voidPromise());
        }
    }

    /** Counts a reply datagram of {@code bytes} payload bytes going back to the client. */
    void countDown(int bytes) {
        record.addBytes(0, bytes);
        context.events().datagram(false);
        context.events().bytes(0, bytes);
    }
}
