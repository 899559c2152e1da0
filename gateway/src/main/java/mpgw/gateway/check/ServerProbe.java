package mpgw.gateway.check;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.Promise;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import mpgw.config.Addresses;
import mpgw.gateway.config.GatewaySettings;
import mpgw.gateway.upstream.ConnectFailure;
import mpgw.gateway.upstream.Socks5ClientHandshake.Opening;
import mpgw.gateway.upstream.Socks5ClientHandshake;
import mpgw.gateway.upstream.Socks5HandshakeException;
import mpgw.jni.ClientSocketOptions;
import mpgw.jni.MptcpChannels;
import mpgw.jni.MptcpInfo;
import mpgw.jni.MptcpMode;
import mpgw.jni.MptcpSocketFactory;
import mpgw.jni.SubflowInfo;

/**
 * Probes one socks-server address the way the gateway's upstream would reach it (same MPTCP mode and SO_MARK):
 * connect, SOCKS5 greeting (and RFC 1929 auth when configured), then MPTCP_INFO to see whether the connection is
 * MPTCP and how many subflows it got. Two checks per address: {@code socks5 A:P} and {@code mptcp A:P}.
 */
final class ServerProbe {
    /** Extra subflows appear only after the connection is fully established; this bounds the wait for them. */
    private static final long SUBFLOW_WAIT_MILLIS = 3_000;

    private final GatewaySettings settings;
    private final MptcpSocketFactory sockets;
    private final EventLoopGroup group;

    ServerProbe(GatewaySettings settings, EventLoopGroup group) {
        this.settings = settings;
        this.sockets = new MptcpSocketFactory(settings.mptcp());
        this.group = group;
    }

    List<Check> probe(InetSocketAddress server, int wantedSubflows) throws InterruptedException {
        String name = Addresses.format(server);
        String socks = "socks5 " + name;
        ChannelFuture connect = new Bootstrap().group(group)
                .channelFactory(MptcpChannels.client(sockets, server.getAddress() instanceof Inet6Address,
                        ClientSocketOptions.mark(settings.mark())))
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) settings.connectTimeout().toMillis())
                .option(ChannelOption.AUTO_READ, false)
                .handler(new ChannelInboundHandlerAdapter())
                .connect(server);
        if (!connect.await(settings.connectTimeout().toMillis() + 1_000) || !connect.isSuccess()) {
            connect.channel().close();
            String why = connect.cause() == null ? "no answer within " + settings.connectTimeout().toMillis() + " ms"
                    : ConnectFailure.reason(connect.cause(), settings.connectTimeout().toMillis());
            return List.of(Check.fail(socks, "cannot connect: " + why, "check that the socks-server runs and listens"
                    + " on " + name + ", and the route to it ('ip route get " + server.getAddress().getHostAddress()
                    + "')"));
        }
        Channel ch = connect.channel();
        try {
            String problem = greet(ch, server);
            if (problem != null) {
                return List.of(Check.fail(socks, problem, settings.socks().authenticates()
                        ? "check socks.username and socks.password (or MPGW_SOCKS_USERNAME/PASSWORD)"
                        : "the server must accept 'no authentication', or set socks.username and socks.password"));
            }
            Check greeted = Check.ok(socks, "answers SOCKS5" + (settings.socks().authenticates()
                    ? " and accepts user '" + settings.socks().username() + "'" : " (no authentication)"));
            return List.of(greeted, mptcp(ch, name, wantedSubflows));
        } finally {
            ch.close().await(2, TimeUnit.SECONDS);
        }
    }

    /** Greeting and, when configured, credentials, as a pool member sends them; null when the server took them. */
    private String greet(Channel ch, InetSocketAddress server) throws InterruptedException {
        Promise<Channel> greeting = ch.eventLoop().newPromise();
        ch.pipeline().addLast(Socks5ClientHandshake.greetingOnly(server, settings.socks(), Opening.FRESH, greeting));
        // The handshake's own timeout ends it; the extra second only guards against a lost event.
        if (!greeting.await(settings.socks().handshakeTimeout().toMillis() + 1_000)) {
            return "no SOCKS5 reply within " + settings.socks().handshakeTimeout().toMillis() + " ms";
        }
        if (greeting.isSuccess()) {
            return null;
        }
        return greeting.cause() instanceof Socks5HandshakeException e ? e.what() : greeting.cause().toString();
    }

    private Check mptcp(Channel ch, String name, int wanted) throws InterruptedException {
        String check = "mptcp " + name;
        if (settings.mptcp() == MptcpMode.OFF) {
            return Check.fail(check, "mptcp = off: every flow uses one path", "mptcp = preferred");
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(SUBFLOW_WAIT_MILLIS);
        MptcpInfo info;
        try {
            do {
                info = ch.eventLoop().submit(() -> MptcpInfo.of(ch)).get();
                if (!info.mptcp() || info.establishedSubflows() >= wanted) {
                    break;
                }
                Thread.sleep(100);
            } while (System.nanoTime() < deadline);
        } catch (java.util.concurrent.ExecutionException e) {
            return Check.fail(check, "cannot read MPTCP_INFO: " + e.getCause().getMessage(), "a kernel with MPTCP_INFO"
                    + " (5.16+)");
        }
        if (!info.mptcp()) {
            return Check.fail(check, "the connection fell back to plain TCP", "run the socks-server on MPTCP (mpgw"
                    + " server, or 'mptcpize run' for others) with net.mptcp.enabled=1 on router B");
        }
        String paths = info.subflows().stream().filter(SubflowInfo::established)
                .map(s -> Addresses.format(s.local()) + " -> " + Addresses.format(s.remote()))
                .collect(Collectors.joining(", "));
        long subflows = info.establishedSubflows();
        if (subflows < wanted) {
            return Check.fail(check, "MPTCP with " + subflows + " subflow(s), expected " + wanted + " (one per path)"
                    + (paths.isEmpty() ? "" : ": " + paths), "endpoints: on router B 'iptables/mpgw-endpoints --role"
                    + " server --wan <every WAN>', here 'iptables/mpgw-endpoints --role gateway'; and a route to"
                    + " each of router B's addresses over its own link");
        }
        return Check.ok(check, "MPTCP with " + subflows + " subflows: " + paths);
    }
}
