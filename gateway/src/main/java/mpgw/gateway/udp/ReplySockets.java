package mpgw.gateway.udp;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoop;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.socket.DatagramPacket;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import mpgw.config.Addresses;
import mpgw.jni.TransparentReplyChannels;
import mpgw.log.LogLimiter;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Transparent sockets that send replies to clients from the address and port the client sent to (the original
 * destination), so the client's own socket accepts them. One socket per remote source serves every client
 * (sendto names the client); sockets are kept in least-recently-used order, closed after
 * {@code udp.reply-socket-idle} without use and, beyond {@code udp.max-reply-sockets}, the oldest goes first.
 *
 * <p>A reply socket is bound to a foreign address; anything it receives (a client datagram that reached it
 * without the TPROXY rule) is handed to the gateway like a datagram from the listener.
 *
 * <p>Threading: event-loop only. Binding happens inline (the channel is registered and bound on this loop).
 */
final class ReplySockets {
    private static final Logger LOG = LogManager.getLogger(ReplySockets.class);
    private static final LogLimiter SEND_FAILURES = new LogLimiter(Duration.ofSeconds(10), 1024);

    /** Where datagrams that arrive on a reply socket go. */
    interface Inbound {
        void datagram(InetSocketAddress sender, InetSocketAddress destination, ByteBuf payload);
    }

    private record Entry(Channel channel, long[] lastUsed) {
    }

    private final EventLoop loop;
    private final int max;
    private final long idleNanos;
    private final UdpMetrics metrics;
    private final Inbound inbound;
    private final ChannelFactory<EpollDatagramChannel> ipv4 = TransparentReplyChannels.factory(false);
    private final ChannelFactory<EpollDatagramChannel> ipv6 = TransparentReplyChannels.factory(true);
    private final LinkedHashMap<InetSocketAddress, Entry> sockets = new LinkedHashMap<>(64, 0.75f, true);

    ReplySockets(EventLoop loop, int max, long idleNanos, UdpMetrics metrics, Inbound inbound) {
        this.loop = loop;
        this.max = max;
        this.idleNanos = idleNanos;
        this.metrics = metrics;
        this.inbound = inbound;
    }

    /** Sends {@code payload} (owned) to {@code client} from {@code source}; returns the drop reason or null. */
    UdpDrop send(InetSocketAddress source, InetSocketAddress client, ByteBuf payload) {
        return send(source, client, payload, () -> { });
    }

    /**
     * As above; {@code sent} runs once the kernel took the datagram. A send the kernel refuses (no route, a
     * firewall's EPERM, ENOBUFS) is counted as {@link UdpDrop#SEND_FAILED} and logged at most once per client
     * address per 10 s, without a stack trace (issue 16 D3).
     */
    UdpDrop send(InetSocketAddress source, InetSocketAddress client, ByteBuf payload, Runnable sent) {
        boolean v6 = client.getAddress() instanceof Inet6Address;
        if ((source.getAddress() instanceof Inet6Address) != v6) {
            payload.release();
            return UdpDrop.MALFORMED; // a reply of the other family cannot reach this client's socket
        }
        Entry e = sockets.get(source);
        if (e == null) {
            e = open(source, v6);
            if (e == null) {
                payload.release();
                return UdpDrop.REPLY_SOCKET;
            }
        }
        e.lastUsed()[0] = System.nanoTime();
        if (!e.channel().isWritable()) {
            payload.release();
            return UdpDrop.BACKPRESSURE;
        }
        e.channel().writeAndFlush(new DatagramPacket(payload, client)).addListener(f -> {
            if (f.isSuccess()) {
                sent.run();
            } else {
                metrics.dropped(UdpDrop.SEND_FAILED);
                SEND_FAILURES.log(LOG, Level.WARN, client.getAddress(), "UDP reply from {} to {} not sent: {}",
                        Addresses.format(source), Addresses.format(client), f.cause().getMessage());
            }
        });
        return null;
    }

    private Entry open(InetSocketAddress source, boolean v6) {
        if (sockets.size() >= max) {
            Iterator<Map.Entry<InetSocketAddress, Entry>> eldest = sockets.entrySet().iterator();
            close(eldest.next().getValue());
            eldest.remove();
        }
        Channel ch;
        try {
            ch = (v6 ? ipv6 : ipv4).newChannel();
        } catch (RuntimeException ex) {
            LOG.warn("cannot open a transparent reply socket: {}", ex.getMessage());
            return null;
        }
        ch.pipeline().addLast(new Receive());
        ChannelFuture registered = loop.register(ch);
        ChannelFuture bound = registered.isSuccess() ? ch.bind(source) : registered;
        if (!bound.isSuccess()) {
            LOG.warn("cannot bind a transparent reply socket to {}: {}", Addresses.format(source),
                    bound.cause() == null ? "not bound on the loop" : bound.cause().getMessage());
            ch.close();
            return null;
        }
        Entry e = new Entry(ch, new long[] {System.nanoTime()});
        sockets.put(source, e);
        metrics.replySockets(1);
        return e;
    }

    /** Closes sockets idle for longer than the limit. */
    void sweep(long now) {
        Iterator<Entry> it = sockets.values().iterator();
        while (it.hasNext()) {
            Entry e = it.next();
            if (now - e.lastUsed()[0] >= idleNanos) {
                close(e);
                it.remove();
            }
        }
    }

    int size() {
        return sockets.size();
    }

    void closeAll() {
        for (Entry e : sockets.values()) {
            close(e);
        }
        sockets.clear();
    }

    private void close(Entry e) {
        e.channel().close();
        metrics.replySockets(-1);
    }

    private final class Receive extends SimpleChannelInboundHandler<DatagramPacket> {
        Receive() {
            super(false);
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
            inbound.datagram(Addresses.normalize(packet.sender()),
                    Addresses.normalize((InetSocketAddress) ctx.channel().localAddress()), packet.content());
        }
    }
}
