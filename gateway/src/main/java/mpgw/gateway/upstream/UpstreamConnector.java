package mpgw.gateway.upstream;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoop;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.function.Function;
import mpgw.gateway.metrics.GatewayMetrics;
import mpgw.jni.ClientSocketOptions;
import mpgw.jni.MptcpChannels;
import mpgw.jni.MptcpSocketFactory;

/**
 * Opens the upstream connection of a flow: MPTCP (per the socket factory's mode) with SO_MARK, to one of the
 * socks-server addresses, racing them in the style of <a href="https://www.rfc-editor.org/rfc/rfc8305">RFC 8305</a>
 * (see {@link ConnectRace}). Addresses that failed recently are tried last ({@link BadServerMemory}).
 *
 * <p>With fast-open, each attempt queues the caller's first bytes before connecting; Netty's epoll channel then
 * connects with {@code sendto(MSG_FASTOPEN)}, so the kernel puts them in the SYN when it has a cookie for the
 * server and sends them right after the handshake when it has not (see {@code EpollSocketChannel.doConnect0}).
 *
 * <p>Thread-safe; each connect runs on the event loop passed in, which must be the downstream channel's so the
 * relay's two halves share it.
 */
public final class UpstreamConnector {
    private final List<InetSocketAddress> servers;
    private final ChannelFactory<EpollSocketChannel> ipv4;
    private final ChannelFactory<EpollSocketChannel> ipv6;
    private final int connectTimeoutMillis;
    private final long raceDelayMillis;
    private final BadServerMemory badServers;
    private final boolean fastOpen;
    private final GatewayMetrics metrics;
    private final UpstreamTls tls;

    /**
     * @param fastOpen ignored (off) when {@code tls} is given: the SYN would carry SOCKS5 bytes the SslHandler
     *                 must encrypt first
     * @param tls      TLS on every connection, or null for SOCKS5 in clear
     */
    public UpstreamConnector(List<InetSocketAddress> servers, MptcpSocketFactory sockets, int mark,
                             Duration connectTimeout, Duration raceDelay, boolean fastOpen,
                             BadServerMemory badServers, GatewayMetrics metrics, UpstreamTls tls) {
        this(servers, MptcpChannels.client(sockets, false, ClientSocketOptions.mark(mark)),
                MptcpChannels.client(sockets, true, ClientSocketOptions.mark(mark)),
                (int) Math.min(Integer.MAX_VALUE, connectTimeout.toMillis()), raceDelay.toMillis(),
                fastOpen && tls == null, badServers, metrics, tls);
    }

    private UpstreamConnector(List<InetSocketAddress> servers, ChannelFactory<EpollSocketChannel> ipv4,
                              ChannelFactory<EpollSocketChannel> ipv6, int connectTimeoutMillis, long raceDelayMillis,
                              boolean fastOpen, BadServerMemory badServers, GatewayMetrics metrics, UpstreamTls tls) {
        this.servers = List.copyOf(servers);
        this.ipv4 = ipv4;
        this.ipv6 = ipv6;
        this.connectTimeoutMillis = connectTimeoutMillis;
        this.raceDelayMillis = raceDelayMillis;
        this.fastOpen = fastOpen;
        this.badServers = badServers;
        this.metrics = metrics;
        this.tls = tls;
    }

    /**
     * The same sockets, timeouts, bad-server memory and metrics for other server addresses, without fast open:
     * the UDP half's connector.
     */
    public UpstreamConnector withServers(List<InetSocketAddress> servers) {
        return new UpstreamConnector(servers, ipv4, ipv6, connectTimeoutMillis, raceDelayMillis, false, badServers,
                metrics, tls);
    }

    /**
     * Starts connecting on {@code loop}. The future succeeds with a connected channel whose auto-read is off and
     * whose pipeline is empty, or with TLS on holds only the TLS handlers ({@link UpstreamTls}), their handshake
     * under way; {@link Channel#remoteAddress()} tells which server won. Cancelling the future
     * closes every attempt.
     *
     * @param synData when fast-open is on, called once per attempt, with that attempt's channel, for the bytes to
     *                queue before connecting (they are then already written when the future succeeds, see
     *                {@link #fastOpen()}); null for none
     */
    public Future<Channel> connect(EventLoop loop, Function<Channel, ByteBuf> synData) {
        Promise<Channel> result = loop.newPromise();
        Function<Channel, ByteBuf> queued = fastOpen ? synData : null;
        new ConnectRace(badServers.order(servers), server -> attempt(loop, server, queued), loop, result,
                raceDelayMillis, connectTimeoutMillis, badServers, metrics).start();
        return result;
    }

    /** A connect to {@code server} only, without fast open: the step-by-step side of a pipelining race. */
    public Future<Channel> connectTo(EventLoop loop, InetSocketAddress server) {
        Promise<Channel> result = loop.newPromise();
        new ConnectRace(List.of(server), s -> attempt(loop, s, null), loop, result, raceDelayMillis,
                connectTimeoutMillis, badServers, metrics).start();
        return result;
    }

    /** The socks-server addresses, in configured order. */
    public List<InetSocketAddress> servers() {
        return servers;
    }

    /** {@link #connect(EventLoop, Function)} without bytes for the SYN. */
    public Future<Channel> connect(EventLoop loop) {
        return connect(loop, null);
    }

    /** The TLS on every connection, or null. */
    public UpstreamTls tls() {
        return tls;
    }

    /** True when {@link #connect}'s synData is used: the caller must not send those bytes again. */
    public boolean fastOpen() {
        return fastOpen;
    }

    private ChannelFuture attempt(EventLoop loop, InetSocketAddress server, Function<Channel, ByteBuf> synData) {
        Bootstrap b = new Bootstrap()
                .group(loop) // same event loop as the downstream channel: the relay needs no locks
                .channelFactory(server.getAddress() instanceof Inet6Address ? ipv6 : ipv4)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, connectTimeoutMillis)
                .option(ChannelOption.AUTO_READ, false)
                .handler(tls == null ? new ChannelInboundHandlerAdapter() : new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        tls.addTo(ch, server); // before connect: the ClientHello leaves as soon as it connects
                    }
                });
        if (synData == null) {
            return b.connect(server);
        }
        b.option(EpollChannelOption.TCP_FASTOPEN_CONNECT, true);
        ChannelFuture registered = b.register(); // on the loop: registration completes here
        Channel channel = registered.channel();
        ChannelPromise connected = channel.newPromise();
        registered.addListener(f -> {
            if (!f.isSuccess()) {
                connected.tryFailure(f.cause());
                return;
            }
            // Written, not flushed: a flush before connect would fail the write; doConnect0 takes it for the SYN.
            channel.write(synData.apply(channel));
            channel.connect(server, connected);
        });
        return connected;
    }
}
