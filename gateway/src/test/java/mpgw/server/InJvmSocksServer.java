package mpgw.server;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.io.IOException;
import java.net.Inet6Address;
import java.nio.file.Files;
import java.nio.file.Path;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import mpgw.config.ConfigFiles;
import mpgw.jni.MptcpChannels;
import mpgw.jni.MptcpSocketFactory;

/**
 * mpgw's socks-server assembled from its own classes for a test, until a launcher lands on main: the real
 * handshake, CONNECT, UDP ASSOCIATE and FWD UDP handlers behind an MPTCP listener. Construct it inside
 * {@code Netns.call}: the event loop threads start there and so live in that namespace, like every socket
 * they open later.
 */
public final class InJvmSocksServer implements AutoCloseable {
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    private final Channel listener;
    private final DestinationResolver resolver;
    public final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

    /** @param overrides HOCON for the {@code server} block, e.g. {@code listen = ["10.1.1.2:1080"]} */
    public InJvmSocksServer(String overrides) throws InterruptedException, IOException {
        Path file = Files.createTempFile("mpgw-server", ".conf");
        ServerSettings settings;
        try {
            Files.writeString(file, "server {\n" + overrides + "\n}\n");
            settings = ServerSettings.from(ConfigFiles.load(file, ServerSettings.ROOT));
        } finally {
            Files.deleteIfExists(file);
        }
        MptcpSocketFactory sockets = new MptcpSocketFactory(settings.mptcp());
        resolver = new DestinationResolver(settings.dnsPrefer(), settings.dnsServers(), settings.timeouts().dns());
        ServerContext context = new ServerContext(settings, new MicrometerServerEvents(registry, sockets),
                new ConnectionLimits(settings.limits().maxConnections(), settings.limits().maxConnectionsPerClient()),
                new DestinationPolicy(settings.destinations()), resolver,
                new DefaultChannelGroup(GlobalEventExecutor.INSTANCE));
        InetSocketAddress address = settings.listen().get(0);
        listener = new ServerBootstrap().group(group)
                .channelFactory(MptcpChannels.server(sockets, address.getAddress() instanceof Inet6Address))
                .childHandler(new ClientChannelInitializer(context))
                .bind(address).sync().channel();
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) listener.localAddress();
    }

    @Override
    public void close() {
        listener.close().awaitUninterruptibly();
        resolver.close();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
}
