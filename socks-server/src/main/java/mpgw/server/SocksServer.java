package mpgw.server;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import mpgw.config.Addresses;
import mpgw.daemon.DaemonStartException;
import mpgw.daemon.Listeners;
import mpgw.jni.MptcpChannels;
import mpgw.jni.MptcpSocketFactory;
import mpgw.log.LogLimiter;
import mpgw.net.AcceptBackoff;
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
    /** Out of descriptors: stop accepting for 50 ms, doubling to 1 s, and log at most one line per 10 s. */
    static final Duration ACCEPT_PAUSE_MIN = Duration.ofMillis(50);
    static final Duration ACCEPT_PAUSE_MAX = Duration.ofSeconds(1);
    private static final LogLimiter ACCEPT_LOG = new LogLimiter(Duration.ofSeconds(10), 64);

    private final ServerSettings settings;
    private final MptcpSocketFactory sockets;
    private final ServerEvents events;
    private final EventLoopGroup group;
    private final Listeners listeners = new Listeners("server", "connections",
            "ports below 1024 need root or CAP_NET_BIND_SERVICE");
    private final TlsPeerAddresses tlsPeers = new TlsPeerAddresses();
    private DestinationResolver resolver;
    private OwnAddresses ownAddresses;
    private boolean stopped;

    public SocksServer(ServerSettings settings, MptcpSocketFactory sockets, ServerEvents events) {
        this.settings = settings;
        this.sockets = sockets;
        this.events = events;
        this.group = new MultiThreadIoEventLoopGroup(settings.eventLoopThreads(), EpollIoHandler.newFactory());
    }

    /** The addresses of router A's authenticated connections (with {@code server.tls} on): the probes answered. */
    TlsPeerAddresses tlsPeers() {
        return tlsPeers;
    }

    /** Binds every listener; on any failure closes what was bound and throws with the address and reason. */
    public synchronized void start() throws DaemonStartException {
        resolver = new DestinationResolver(settings.dnsPrefer(), settings.dnsServers(), settings.timeouts().dns());
        ownAddresses = settings.destinations().denyOwnAddresses() ? OwnAddresses.following() : OwnAddresses.none();
        ServerContext context = new ServerContext(settings, events,
                new ConnectionLimits(settings.limits().maxConnections(), settings.limits().maxConnectionsPerClient()),
                new DestinationPolicy(settings.destinations(), ownAddresses), resolver, listeners);
        ClientChannelInitializer plain = new ClientChannelInitializer(context, null);
        ClientChannelInitializer initializer = plain;
        if (settings.tls().enabled()) {
            try {
                initializer = new ClientChannelInitializer(context,
                        TlsListener.create(settings.tls(), events, tlsPeers));
            } catch (javax.net.ssl.SSLException | RuntimeException e) {
                throw new DaemonStartException("server.tls: cannot build the TLS context: " + e.getMessage(), e);
            }
        }
        warnIfFastOpenForbidden();
        List<InetSocketAddress> all = settings.allListeners();
        for (int i = 0; i < all.size(); i++) {
            InetSocketAddress address = all.get(i);
            // The first listen().size() are server.listen (TLS when on), the rest tls.plain-listen.
            ClientChannelInitializer forAddress = i < settings.listen().size() ? initializer : plain;
            ServerBootstrap b = new ServerBootstrap()
                    .group(group)
                    .channelFactory(MptcpChannels.server(sockets, address.getAddress() instanceof Inet6Address))
                    .option(ChannelOption.SO_REUSEADDR, true)
                    .option(ChannelOption.TCP_FASTOPEN, settings.fastOpenQueue())
                    .handler(new AcceptBackoff(Addresses.format(address), events::acceptFailed, ACCEPT_LOG,
                            ACCEPT_PAUSE_MIN, ACCEPT_PAUSE_MAX))
                    .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                    .childHandler(forAddress);
            try {
                listeners.bind(b, address);
            } catch (DaemonStartException e) {
                close();
                throw e;
            }
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
    public List<InetSocketAddress> boundAddresses() {
        return listeners.addresses();
    }

    /** Stops accepting, waits up to {@code grace} for open connections to end, then cuts the rest (reset). Idempotent. */
    public synchronized void stop(Duration grace) {
        if (stopped) {
            return;
        }
        stopped = true;
        listeners.stop(grace);
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        if (resolver != null) {
            resolver.close();
        }
        if (ownAddresses != null) {
            ownAddresses.close();
        }
    }

    @Override
    public void close() {
        stop(Duration.ZERO);
    }
}
