package mpgw.server;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import mpgw.config.Addresses;
import mpgw.jni.MptcpChannels;
import mpgw.jni.MptcpSocketFactory;
import mpgw.net.FastOpenSysctl;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The SOCKS5 server: one MPTCP listening socket per {@code server.listen} address (an MPTCP listener also
 * accepts plain TCP clients), whose accepted connections run the pipeline of {@link ClientChannelInitializer},
 * plus the services those connections share ({@link ServerContext}).
 *
 * <p>Lifecycle: {@link #start()} once, {@link #stop(Duration)} once (stop accepting, let open connections
 * finish for the grace period, close the rest). Thread-safe for those calls.
 */
public final class SocksServer implements AutoCloseable {
    private static final Logger LOG = LogManager.getLogger(SocksServer.class);

    private final ServerSettings settings;
    private final MptcpSocketFactory sockets;
    private final ServerEvents events;
    private final EventLoopGroup group;
    private final ChannelGroup clients = new DefaultChannelGroup("clients", GlobalEventExecutor.INSTANCE);
    private final List<Channel> listeners = new ArrayList<>();
    private DestinationResolver resolver;
    private boolean stopped;

    public SocksServer(ServerSettings settings, MptcpSocketFactory sockets, ServerEvents events) {
        this.settings = settings;
        this.sockets = sockets;
        this.events = events;
        this.group = new MultiThreadIoEventLoopGroup(settings.eventLoopThreads(), EpollIoHandler.newFactory());
    }

    /** Binds every listener; on any failure closes what was bound and throws with the address and reason. */
    public synchronized void start() throws ServerStartException {
        resolver = new DestinationResolver(settings.dnsPrefer(), settings.dnsServers(), settings.timeouts().dns());
        ServerContext context = new ServerContext(settings, events,
                new ConnectionLimits(settings.limits().maxConnections(), settings.limits().maxConnectionsPerClient()),
                new DestinationPolicy(settings.destinations()), resolver, clients);
        ClientChannelInitializer initializer = new ClientChannelInitializer(context);
        warnIfFastOpenForbidden();
        for (InetSocketAddress address : settings.listen()) {
            ChannelFuture bound = new ServerBootstrap()
                    .group(group)
                    .channelFactory(MptcpChannels.server(sockets, address.getAddress() instanceof Inet6Address))
                    .option(ChannelOption.SO_BACKLOG, 1024)
                    .option(ChannelOption.SO_REUSEADDR, true)
                    .option(ChannelOption.TCP_FASTOPEN, settings.fastOpenQueue())
                    .handler(AcceptErrorLogger.INSTANCE)
                    .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                    .childHandler(initializer)
                    .bind(address).awaitUninterruptibly();
            if (!bound.isSuccess()) {
                close();
                throw new ServerStartException("cannot listen on " + Addresses.format(address) + ": "
                        + reason(bound.cause()), bound.cause());
            }
            listeners.add(bound.channel());
        }
    }

    private void warnIfFastOpenForbidden() {
        FastOpenSysctl sysctl = FastOpenSysctl.read();
        if (settings.fastOpenQueue() > 0 && !sysctl.allowsServer()) {
            LOG.warn("fast-open = {} but {} does not allow it for servers: SYN data is ignored (flows still work,"
                    + " one round trip slower); fix: sysctl -w {}={}", settings.fastOpenQueue(), sysctl,
                    FastOpenSysctl.KEY, sysctl.withServer());
        }
    }

    /** The bound listener addresses (ports resolved when 0 was configured). */
    public synchronized List<InetSocketAddress> boundAddresses() {
        return listeners.stream().map(ch -> Addresses.normalize((InetSocketAddress) ch.localAddress())).toList();
    }

    /** Client connections open now (in handshake, relaying, or holding a UDP session). */
    public int openConnections() {
        return clients.size();
    }

    /** Stops accepting, waits up to {@code grace} for open connections to end, then closes the rest. Idempotent. */
    public synchronized void stop(Duration grace) {
        if (stopped) {
            return;
        }
        stopped = true;
        for (Channel l : listeners) {
            l.close().awaitUninterruptibly();
        }
        listeners.clear();
        long deadline = System.nanoTime() + grace.toNanos();
        if (!clients.isEmpty()) {
            LOG.info("stopped accepting; waiting up to {} ms for {} open connections", grace.toMillis(), clients.size());
        }
        while (!clients.isEmpty() && System.nanoTime() < deadline) {
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (!clients.isEmpty()) {
            LOG.info("closing {} connections still open after the grace period", clients.size());
            clients.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        if (resolver != null) {
            resolver.close();
        }
    }

    @Override
    public void close() {
        stop(Duration.ZERO);
    }

    private static String reason(Throwable cause) {
        Throwable c = cause.getCause() != null && cause.getMessage() == null ? cause.getCause() : cause;
        String m = c.getMessage();
        if (m != null && m.contains("Address already in use")) {
            return "address already in use (another server running?)";
        }
        if (m != null && m.contains("Cannot assign requested address")) {
            return "no such local address";
        }
        if (m != null && m.contains("Permission denied")) {
            return "permission denied (ports below 1024 need root or CAP_NET_BIND_SERVICE)";
        }
        return m == null ? c.toString() : m;
    }
}
