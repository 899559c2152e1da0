package mpgw.server;

import io.netty.channel.EventLoop;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.resolver.AddressResolver;
import io.netty.resolver.ResolvedAddressTypes;
import io.netty.resolver.dns.DnsAddressResolverGroup;
import io.netty.resolver.dns.DnsNameResolverBuilder;
import io.netty.resolver.dns.DnsServerAddressStreamProviders;
import io.netty.resolver.dns.SequentialDnsServerAddressStreamProvider;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import mpgw.config.Addresses;

/**
 * Resolves domain destinations without blocking: Netty's DNS resolver (reads /etc/hosts first, then asks
 * the servers in /etc/resolv.conf or {@code dns.servers}), one per event loop, with the configured
 * address-family order and an overall deadline ({@code timeouts.dns}).
 *
 * <p>Threading: {@link #resolve} is called on, and completes on, the caller's event loop.
 */
final class DestinationResolver implements AutoCloseable {
    private final DnsAddressResolverGroup group;
    private final long timeoutMillis;

    DestinationResolver(String prefer, List<InetSocketAddress> servers, Duration timeout) {
        this.timeoutMillis = timeout.toMillis();
        DnsNameResolverBuilder builder = new DnsNameResolverBuilder()
                .datagramChannelType(EpollDatagramChannel.class)
                .socketChannelType(EpollSocketChannel.class)
                .resolvedAddressTypes(addressTypes(prefer))
                .queryTimeoutMillis(Math.max(100, timeoutMillis / 2))
                .nameServerProvider(servers.isEmpty() ? DnsServerAddressStreamProviders.platformDefault()
                        : new SequentialDnsServerAddressStreamProvider(servers));
        this.group = new DnsAddressResolverGroup(builder);
    }

    private static ResolvedAddressTypes addressTypes(String prefer) {
        switch (prefer) {
            case "ipv6-preferred":
                return ResolvedAddressTypes.IPV6_PREFERRED;
            case "ipv4-only":
                return ResolvedAddressTypes.IPV4_ONLY;
            case "ipv6-only":
                return ResolvedAddressTypes.IPV6_ONLY;
            default:
                return ResolvedAddressTypes.IPV4_PREFERRED;
        }
    }

    /**
     * The resolved form of {@code destination} (already-resolved addresses pass through). Fails with
     * {@link UnknownHostException} for unknown names and on the deadline.
     */
    Future<InetSocketAddress> resolve(EventLoop loop, InetSocketAddress destination) {
        if (!destination.isUnresolved()) {
            return loop.newSucceededFuture(Addresses.normalize(destination));
        }
        Promise<InetSocketAddress> result = loop.newPromise();
        AddressResolver<InetSocketAddress> resolver = group.getResolver(loop);
        Future<InetSocketAddress> lookup = resolver.resolve(destination);
        ScheduledFuture<?> deadline = loop.schedule(() -> {
            if (result.tryFailure(new UnknownHostException(destination.getHostString()
                    + ": no answer within " + timeoutMillis + " ms"))) {
                lookup.cancel(false);
            }
        }, timeoutMillis, TimeUnit.MILLISECONDS);
        lookup.addListener(f -> {
            deadline.cancel(false);
            if (f.isSuccess()) {
                result.trySuccess(Addresses.normalize(lookup.getNow()));
            } else {
                Throwable cause = f.cause();
                result.tryFailure(cause instanceof UnknownHostException ? cause
                        : new UnknownHostException(destination.getHostString() + ": " + cause.getMessage()));
            }
        });
        return result;
    }

    @Override
    public void close() {
        group.close();
    }
}
