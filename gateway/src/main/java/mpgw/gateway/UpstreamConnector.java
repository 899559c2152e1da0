package mpgw.gateway;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import mpgw.jni.ClientSocketOptions;
import mpgw.jni.MptcpChannels;
import mpgw.jni.MptcpSocketFactory;

/**
 * Opens the upstream connection of a flow: MPTCP (per the socket factory's mode) with SO_MARK, to one of the
 * socks-server addresses, racing them in the style of <a href="https://www.rfc-editor.org/rfc/rfc8305">RFC 8305</a>
 * (see {@link ConnectRace}). Addresses that failed recently are tried last ({@link BadServerMemory}).
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
    private final GatewayMetrics metrics;

    public UpstreamConnector(List<InetSocketAddress> servers, MptcpSocketFactory sockets, int mark,
                             Duration connectTimeout, Duration raceDelay, BadServerMemory badServers,
                             GatewayMetrics metrics) {
        this.servers = List.copyOf(servers);
        ClientSocketOptions options = ClientSocketOptions.mark(mark);
        this.ipv4 = MptcpChannels.client(sockets, false, options);
        this.ipv6 = MptcpChannels.client(sockets, true, options);
        this.connectTimeoutMillis = (int) Math.min(Integer.MAX_VALUE, connectTimeout.toMillis());
        this.raceDelayMillis = raceDelay.toMillis();
        this.badServers = badServers;
        this.metrics = metrics;
    }

    /**
     * Starts connecting on {@code loop}. The future succeeds with a connected channel whose auto-read is off and
     * whose pipeline is empty; {@link Channel#remoteAddress()} tells which server won. Cancelling the future
     * closes every attempt.
     */
    public Future<Channel> connect(EventLoop loop) {
        Promise<Channel> result = loop.newPromise();
        new ConnectRace(badServers.order(servers), raceDelayMillis, this, loop, result).start();
        return result;
    }

    ChannelFuture attempt(EventLoop loop, InetSocketAddress server) {
        Bootstrap b = new Bootstrap()
                .group(loop) // same event loop as the downstream channel: the relay needs no locks
                .channelFactory(server.getAddress() instanceof Inet6Address ? ipv6 : ipv4)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, connectTimeoutMillis)
                .option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.TCP_NODELAY, true)
                .handler(new ChannelInboundHandlerAdapter());
        return b.connect(server);
    }

    BadServerMemory badServers() {
        return badServers;
    }

    GatewayMetrics metrics() {
        return metrics;
    }

    int connectTimeoutMillis() {
        return connectTimeoutMillis;
    }
}
