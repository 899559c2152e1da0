package mpgw.gateway.udp;

import io.micrometer.core.instrument.MeterRegistry;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoEventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.util.concurrent.Future;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import mpgw.config.Addresses;
import mpgw.daemon.DaemonStartException;
import mpgw.gateway.config.GatewaySettings;
import mpgw.gateway.config.UdpSettings;
import mpgw.gateway.upstream.UpstreamConnector;
import mpgw.gateway.upstream.WarmUpstreams;
import mpgw.jni.TransparentDatagramListener;
import mpgw.net.ConnectionCaps;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The gateway's UDP half: a TPROXY datagram listener ({@code gateway.udp.listen}), the per-client sessions and
 * their carriers to router B, and the transparent reply sockets, all on one event loop of their own (no locks;
 * one core moves the datagrams, the TCP path keeps the others).
 *
 * <pre>
 * client --mangle TPROXY--> TransparentDatagramListener (IP_TRANSPARENT, IP[V6]_RECVORIGDSTADDR)
 *        -> UdpSessionTable: drop checks, session per client address (full cone), cap, idle sweep
 *        -> UdpSession -> UdpTunnel: FWD UDP frames in an MPTCP stream | UDP ASSOCIATE
 *        <- replies -> ReplySockets: sendto(client) from a socket bound to the reply's source
 * </pre>
 */
public final class UdpGateway implements AutoCloseable {
    private static final Logger LOG = LogManager.getLogger(UdpGateway.class);

    private final MultiThreadIoEventLoopGroup group;
    private final IoEventLoop loop;
    private final UdpSessionTable table;
    private final WarmUpstreams warm;
    private TransparentDatagramListener listener;

    private UdpGateway(MultiThreadIoEventLoopGroup group, WarmUpstreams warm, UdpSettings settings, UdpBudget budget,
                       UdpLinkShare linkShare, UdpCarrier carrier, UdpMetrics metrics) {
        this.group = group;
        this.loop = (IoEventLoop) group.next();
        this.warm = warm;
        this.table = new UdpSessionTable(loop, settings, budget, linkShare, carrier, metrics);
    }

    /**
     * Starts the UDP half for a gateway's settings, or returns null when {@code gateway.udp.enabled} is off.
     *
     * @param connector to {@code udp.servers}, shared with the TCP half's bad-server memory and metrics
     * @param pool      makes the UDP half's warm pool on its event loop group ({@code udp.pool-size})
     * @param tcpFlows  the TCP half's flows per client address: its clients count in the share of the links
     */
    public static UdpGateway start(GatewaySettings gateway, UpstreamConnector connector,
                                   Function<EventLoopGroup, WarmUpstreams> pool, MeterRegistry registry,
                                   ConnectionCaps tcpFlows)
            throws DaemonStartException {
        UdpSettings settings = gateway.udp();
        if (!settings.enabled()) {
            return null;
        }
        MultiThreadIoEventLoopGroup group = newGroup();
        WarmUpstreams warm = settings.mode() == UdpSettings.Mode.STREAM ? pool.apply(group) : WarmUpstreams.NONE;
        UdpCarrier carrier = settings.mode() == UdpSettings.Mode.STREAM
                ? new FwdUdpStreamCarrier(connector, warm, gateway.socks(), settings.streamWriteBuffer(),
                        gateway.relay().writeStallRetry())
                : new UdpAssociateCarrier(connector, gateway.socks(), gateway.mark());
        GatewaySettings.Limits limits = gateway.limits();
        UdpBudget budget = new UdpBudget(limits.udpQueuedBytes(), limits.udpQueuedBytesPerClient(),
                limits.udpSessionsPerClient());
        UdpLinkShare linkShare = new UdpLinkShare(limits.linkBytesPerSecond(), tcpFlows);
        return start(group, warm, settings, budget, linkShare, carrier, new MicrometerUdpMetrics(registry));
    }

    static UdpGateway start(UdpSettings settings, UdpBudget budget, UdpCarrier carrier, UdpMetrics metrics)
            throws DaemonStartException {
        return start(newGroup(), WarmUpstreams.NONE, settings, budget, UdpLinkShare.OFF, carrier, metrics);
    }

    /** One event loop: the listener, sessions, tunnels, reply sockets and the UDP pool share it (no locks). */
    private static MultiThreadIoEventLoopGroup newGroup() {
        return new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    }

    private static UdpGateway start(MultiThreadIoEventLoopGroup group, WarmUpstreams warm, UdpSettings settings,
                                    UdpBudget budget, UdpLinkShare linkShare, UdpCarrier carrier,
                                    UdpMetrics metrics) throws DaemonStartException {
        UdpGateway gateway = new UdpGateway(group, warm, settings, budget, linkShare, carrier, metrics);
        try {
            gateway.listener = gateway.bind(settings);
        } catch (DaemonStartException e) {
            gateway.close();
            throw e;
        }
        long shortest = Math.min(settings.idleTimeout().toMillis(), settings.oneShotIdleTimeout().toMillis());
        long sweepMillis = Math.max(100, Math.min(1000, shortest / 4));
        gateway.loop.scheduleAtFixedRate(gateway.table::sweep, sweepMillis, sweepMillis, TimeUnit.MILLISECONDS);
        warm.start();
        LOG.info("udp up: tproxy listener {}, mode {}, servers {}, pool {}",
                Addresses.format(gateway.listener.localAddress()),
                settings.mode().name().toLowerCase(java.util.Locale.ROOT),
                settings.servers().stream().map(Addresses::format).toList(),
                warm == WarmUpstreams.NONE ? "off" : settings.poolSize());
        return gateway;
    }

    private TransparentDatagramListener bind(UdpSettings settings) throws DaemonStartException {
        InetSocketAddress address = settings.listen();
        if (address.getAddress() instanceof Inet6Address && address.getAddress().isAnyLocalAddress()
                && !ipv6Available()) {
            // "[::]" cannot be bound without IPv6; the IPv4 wildcard on the same port takes the IPv4 traffic.
            LOG.info("udp: no IPv6 on this host; listening on 0.0.0.0:{} instead of {}", address.getPort(),
                    Addresses.format(address));
            address = new InetSocketAddress("0.0.0.0", address.getPort());
        }
        return open(address, settings);
    }

    /** Read per thread: in a network namespace, the namespace's view. */
    private static boolean ipv6Available() {
        try {
            Path p = Path.of("/proc/thread-self/net/if_inet6");
            return Files.exists(p) && !Files.readString(p).isBlank();
        } catch (IOException e) {
            return false;
        }
    }

    private TransparentDatagramListener open(InetSocketAddress address, UdpSettings settings)
            throws DaemonStartException {
        Future<TransparentDatagramListener> f = TransparentDatagramListener.open(loop, address,
                settings.maxDatagramSize(), settings.receiveBuffer(), ByteBufAllocator.DEFAULT, table);
        try {
            return f.get(5, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            throw new DaemonStartException("cannot open the UDP TPROXY listener on " + Addresses.format(address)
                    + ": " + cause.getMessage(), cause);
        } catch (Exception e) {
            throw new DaemonStartException("cannot open the UDP TPROXY listener on " + Addresses.format(address)
                    + ": " + e, e);
        }
    }

    public InetSocketAddress localAddress() {
        return listener.localAddress();
    }

    /** Closes the listener, every session and reply socket, and the event loop. */
    @Override
    public void close() {
        if (!loop.isShuttingDown()) {
            loop.submit(() -> {
                if (listener != null) {
                    listener.close();
                }
                table.closeAll();
            }).awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
        warm.close();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
}
