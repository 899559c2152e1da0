package mpgw.server;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoop;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.socket.SocketProtocolFamily;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import mpgw.config.Addresses;
import mpgw.connection.ConnectionRecord;
import mpgw.log.LogLimiter;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

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

    private static final Logger LOG = LogManager.getLogger(UdpOutbound.class);
    /** Failed sends: one line per client per 10 s, saying how many it stands for. */
    private static final LogLimiter SEND_FAILURES = new LogLimiter(Duration.ofSeconds(10), 1024);
    private static final InetAddress IPV6_ANY = mpgw.config.Addresses.parseLiteral("::");

    private final ServerContext context;
    private final ConnectionRecord record;

    UdpOutbound(ServerContext context, ConnectionRecord record) {
        this.context = context;
        this.record = record;
    }

    /** Binds a datagram socket on {@code loop}: dual-stack {@code [::]:0} when {@code local} is null. */
    static ChannelFuture bind(EventLoop loop, InetAddress local, ChannelHandler handler) {
        return bootstrap(loop, local, handler).bind(anyAddress(local));
    }

    private static Bootstrap bootstrap(EventLoop loop, InetAddress local, ChannelHandler handler) {
        SocketProtocolFamily family = local == null || local instanceof java.net.Inet6Address
                ? SocketProtocolFamily.INET6 : SocketProtocolFamily.INET;
        return new Bootstrap()
                .group(loop)
                .channelFactory(() -> new EpollDatagramChannel(family))
                .option(ChannelOption.RCVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(MAX_DATAGRAM))
                .handler(handler);
    }

    private static InetSocketAddress anyAddress(InetAddress local) {
        return new InetSocketAddress(local == null ? IPV6_ANY : local, 0);
    }

    /**
     * {@link #bind} without the wait: called on {@code loop}, the socket is registered and bound before this returns
     * (the future is done). Bootstrap's own bind queues the bind as a task behind every channel the loop is reading
     * now, so in a burst of new FWD UDP sessions (a page's DNS lookups) no session sent its first datagram until the
     * whole burst had been read.
     */
    static ChannelFuture bindNow(EventLoop loop, ChannelHandler handler) {
        ChannelFuture registered = bootstrap(loop, null, handler).register();
        Channel channel = registered.channel();
        if (registered.isDone()) {
            return registered.isSuccess() ? channel.bind(anyAddress(null)) : registered;
        }
        ChannelPromise bound = channel.newPromise();
        registered.addListener(r -> {
            if (r.isSuccess()) {
                channel.bind(anyAddress(null), bound);
            } else {
                bound.setFailure(r.cause());
            }
        });
        return bound;
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
            int bytes = payload.readableBytes();
            // Not the void promise: a failed send would travel the pipeline to Netty's tail, a WARN and a stack
            // trace per datagram that any client can trigger (issue 16 D3). Counted as relayed once sent.
            socket.writeAndFlush(new DatagramPacket(payload, destination)).addListener(f -> {
                if (f.isSuccess()) {
                    record.addBytes(bytes, 0);
                    context.events().datagram(true);
                    context.events().bytes(bytes, 0);
                } else {
                    sendFailed(destination, f.cause());
                }
            });
        }
    }

    private void sendFailed(InetSocketAddress destination, Throwable cause) {
        context.events().dropped(Drop.UDP_SEND_FAILED);
        InetSocketAddress client = record.client();
        SEND_FAILURES.log(LOG, Level.WARN, client == null ? "?" : client.getAddress(),
                "UDP datagram from {} to {} not sent: {}", client == null ? "?" : Addresses.format(client),
                Addresses.format(destination), cause.getMessage());
    }

    /** Counts a reply datagram of {@code bytes} payload bytes going back to the client. */
    void countDown(int bytes) {
        record.addBytes(0, bytes);
        context.events().datagram(false);
        context.events().bytes(0, bytes);
    }
}
