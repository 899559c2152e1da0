package mpgw.gateway;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import mpgw.config.Addresses;
import mpgw.connection.Outcome;
import mpgw.daemon.DaemonStartException;
import mpgw.daemon.Listeners;
import mpgw.gateway.config.GatewaySettings;
import mpgw.gateway.config.InterceptMode;
import mpgw.gateway.tcp.GatewayChannelInitializer;
import mpgw.gateway.tcp.LoopGuard;
import mpgw.gateway.upstream.WarmUpstreams;
import mpgw.jni.MptcpChannels;
import mpgw.jni.MptcpMode;
import mpgw.jni.MptcpSocketFactory;
import mpgw.jni.SocketOptions;
import mpgw.log.LogLimiter;
import mpgw.net.AcceptBackoff;
import mpgw.net.ConnectionCaps;
import mpgw.relay.ConnectionReset;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The gateway's TCP side: plain epoll listeners on the configured addresses (transparent under TPROXY), whose
 * accepted connections run the flow pipeline of {@link GatewayChannelInitializer}, plus the shared pieces the
 * flows use (event loops, the warm pool on them, the loop guard); the way upstream comes from {@link Upstreams}.
 *
 * <p>Lifecycle: {@link #start()} once, {@link #stop(Duration)} once (stop accepting, let open flows finish for
 * the grace period, close the rest). Thread-safe for those calls.
 */
public final class GatewayServer implements AutoCloseable {
    private static final Logger log = LogManager.getLogger(GatewayServer.class);
    /** Failed accepts (out of descriptors) log at most one line per 10 s and listener. */
    private static final LogLimiter ACCEPT_LOG = new LogLimiter(Duration.ofSeconds(10), 64);
    /** Flows over a cap: one line per client address per 10 s. */
    private static final LogLimiter LIMIT_LOG = new LogLimiter(Duration.ofSeconds(10), 4096);
    private static final MptcpSocketFactory PLAIN_TCP = new MptcpSocketFactory(MptcpMode.OFF);

    private final GatewaySettings settings;
    private final Upstreams upstreams;
    private final EventLoopGroup group;
    private final ConnectionCaps caps;
    private WarmUpstreams pool = WarmUpstreams.NONE;
    private final Listeners listeners = new Listeners("gateway", "flows",
            "ports below 1024 and TPROXY need root or CAP_NET_BIND_SERVICE/CAP_NET_ADMIN");

    public GatewayServer(GatewaySettings settings, Upstreams upstreams) {
        this.settings = settings;
        this.upstreams = upstreams;
        this.group = new MultiThreadIoEventLoopGroup(0, EpollIoHandler.newFactory());
        this.caps = new ConnectionCaps(settings.limits().maxFlows(), settings.limits().maxFlowsPerClient());
    }

    /** The flows open per client address (the UDP half's share of the links counts these clients). */
    public ConnectionCaps flows() {
        return caps;
    }

    /** Binds every listener; on any failure closes what was bound and throws with the address and reason. */
    public synchronized void start() throws DaemonStartException {
        pool = upstreams.warm(group);
        GatewayChannelInitializer flowPipeline = new GatewayChannelInitializer(settings,
                new LoopGuard(settings.listen(), settings.servers()), upstreams.opener(pool), upstreams.metrics());
        for (InetSocketAddress address : ListenAddresses.toBind(settings.listen())) {
            boolean ipv6 = address.getAddress() instanceof Inet6Address;
            ServerBootstrap b = new ServerBootstrap()
                    .group(group)
                    // Clients on the LAN speak plain TCP; the socket family follows the address ([::] is dual-stack).
                    .channelFactory(MptcpChannels.server(PLAIN_TCP, ipv6))
                    .option(ChannelOption.SO_REUSEADDR, true)
                    .handler(new TransparentListener(settings.mode() == InterceptMode.TPROXY && ipv6,
                            new AcceptBackoff(Addresses.format(address), upstreams.metrics()::acceptFailed, ACCEPT_LOG,
                                    Duration.ofMillis(50), Duration.ofSeconds(1))))
                    // Accept with auto-read off: the flow reads the client only when it can hold the bytes.
                    .childOption(ChannelOption.AUTO_READ, false)
                    .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                    .childHandler(new ChannelInitializer<>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            if (!admit(ch, caps)) {
                                return;
                            }
                            listeners.track(ch);
                            ch.pipeline().addLast(flowPipeline);
                        }
                    });
            if (settings.mode() == InterceptMode.TPROXY && !ipv6) {
                b.option(EpollChannelOption.IP_TRANSPARENT, true);
            }
            try {
                listeners.bind(b, address);
            } catch (DaemonStartException e) {
                close();
                throw e;
            }
            log.info("listening on {} (mode {}) for intercepted TCP", Addresses.format(address),
                    settings.mode().name().toLowerCase(java.util.Locale.ROOT));
        }
        pool.start();
    }

    /**
     * {@code limits.max-flows} and {@code max-flows-per-client}: a flow over a cap is reset at once, counted as
     * outcome {@code limit} and logged at most once per interval per client address.
     */
    private boolean admit(Channel ch, ConnectionCaps caps) {
        InetAddress client = ((InetSocketAddress) ch.remoteAddress()).getAddress();
        ConnectionCaps.Refusal refusal = caps.tryAcquire(client);
        if (refusal == null) {
            ch.closeFuture().addListener(f -> caps.release(client));
            return true;
        }
        upstreams.metrics().flowStarted();
        upstreams.metrics().flowEnded(Outcome.LIMIT, 0, 0);
        LIMIT_LOG.log(log, Level.WARN, client, "flow from {} reset: {} reached ({} flows open)",
                Addresses.format((InetSocketAddress) ch.remoteAddress()),
                refusal == ConnectionCaps.Refusal.TOTAL ? "limits.max-flows = " + settings.limits().maxFlows()
                        : "limits.max-flows-per-client = " + settings.limits().maxFlowsPerClient(), caps.open());
        ConnectionReset.reset(ch);
        return false;
    }

    /** The bound listener addresses (ports resolved when 0 was configured). */
    public List<InetSocketAddress> boundAddresses() {
        return listeners.addresses();
    }

    /** Stops accepting, waits up to {@code grace} for open flows to end, then cuts the rest (reset, outcome cut) and closes the event loops. */
    public synchronized void stop(Duration grace) {
        listeners.stop(grace);
        pool.close();
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }

    @Override
    public void close() {
        stop(Duration.ZERO);
    }

    /**
     * IPV6_TRANSPARENT for an IPv6 listener under TPROXY (Netty's IP_TRANSPARENT option is IPv4's), and the
     * listener's {@link AcceptBackoff}: out of descriptors, it pauses accepting instead of spinning.
     */
    private static final class TransparentListener extends ChannelInitializer<Channel> {
        private final boolean ipv6Transparent;
        private final AcceptBackoff backoff;

        TransparentListener(boolean ipv6Transparent, AcceptBackoff backoff) {
            this.ipv6Transparent = ipv6Transparent;
            this.backoff = backoff;
        }

        @Override
        protected void initChannel(Channel ch) throws IOException {
            // Runs at registration, before bind: a transparent socket must be marked so before it binds.
            if (ipv6Transparent) {
                SocketOptions.setIpv6Transparent(((EpollServerSocketChannel) ch).fd().intValue());
            }
            ch.pipeline().addLast(backoff);
        }
    }
}
