package mpgw.gateway.check;

import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import mpgw.config.Addresses;
import javax.net.ssl.SSLException;
import mpgw.gateway.config.GatewaySettings;
import mpgw.gateway.config.UpstreamTlsSettings;
import mpgw.gateway.metrics.GatewayMetrics;
import mpgw.gateway.upstream.Socks5ClientHandshake.Opening;
import mpgw.gateway.upstream.Socks5ClientHandshake;
import mpgw.gateway.upstream.Socks5HandshakeException;
import mpgw.gateway.upstream.UpstreamConnector;
import mpgw.gateway.upstream.UpstreamTls;
import mpgw.jni.MptcpInfo;
import mpgw.jni.MptcpMode;
import mpgw.jni.MptcpSocketFactory;
import mpgw.jni.SubflowInfo;

/**
 * Probes one socks-server address the way the gateway's upstream would reach it (its {@link UpstreamConnector}:
 * same MPTCP mode, SO_MARK and TLS): connect, TLS when {@code upstream.tls} is on, SOCKS5 greeting (and RFC 1929
 * auth when configured), then MPTCP_INFO to see whether the connection is MPTCP and how many subflows it got; then,
 * on connections of their own, what the server supports ({@link FeatureProbes}: pipelining, fast open, FWD UDP,
 * UDP ASSOCIATE) and the keys that fit it ({@link ServerReport}). Checks per address: {@code tls A:P} (TLS on),
 * {@code socks5 A:P}, {@code mptcp A:P}, {@code pipelining A:P}, {@code fast-open A:P} (TLS off), {@code udp A:P},
 * {@code keys A:P}. When the server does not answer, or TLS fails, the lines stop at that failure.
 */
final class ServerProbe {
    /** Extra subflows appear only after the connection is fully established; this bounds the wait for them. */
    private static final long SUBFLOW_WAIT_MILLIS = 3_000;

    private final GatewaySettings settings;
    private final UpstreamTls tls;
    private final FeatureProbes features;

    ServerProbe(GatewaySettings settings, EventLoopGroup group) throws SSLException {
        this.settings = settings;
        UpstreamTlsSettings t = settings.tls();
        // The check's own TLS context, like the gateway's: its metrics go nowhere, its failures are this check's.
        this.tls = t.enabled() ? UpstreamTls.create(t.own(), t.peers(), t.provider(), t.keyExchange(), t.handshakeTimeout(),
                GatewayMetrics.NONE) : null;
        this.features = new FeatureProbes(settings, new MptcpSocketFactory(settings.mptcp()), tls, group.next());
    }

    List<Check> probe(InetSocketAddress server, int wantedSubflows) throws InterruptedException {
        String name = Addresses.format(server);
        String socks = "socks5 " + name;
        ProbeHandshake.Result greeted = ProbeHandshake.run(features.connector(server, false)
                        .connectTo(features.loop(), server), settings.connectTimeout().toMillis(),
                settings.socks().handshakeTimeout().toMillis(), (result, late) ->
                        Socks5ClientHandshake.greetingOnly(server, settings.socks(), Opening.FRESH, result));
        List<Check> checks = new ArrayList<>();
        try {
            if (greeted.unreachable() != null) {
                return List.of(Check.fail(socks, "cannot connect: " + greeted.unreachable(), "check that the"
                        + " socks-server runs and listens on " + name + ", and the route to it ('ip route get "
                        + server.getAddress().getHostAddress() + "')"));
            }
            if (tls != null) {
                Check t = TlsReport.check(name, greeted, tls);
                checks.add(t);
                if (!t.ok()) {
                    return checks;
                }
            }
            if (!greeted.succeeded()) {
                checks.add(Check.fail(socks, ServerReport.escaped(greeted.why()), greetingFix(greeted)));
                return checks;
            }
            checks.add(Check.ok(socks, "answers SOCKS5" + (settings.socks().authenticates()
                    ? " and accepts user '" + ServerReport.escaped(settings.socks().username()) + "'"
                    : " (no authentication)")));
            checks.add(mptcp(greeted.channel(), name, wantedSubflows));
        } finally {
            greeted.close();
        }
        ServerTraits traits = new ServerTraits();
        features.pipelining(server, traits);
        features.fastOpen(server, traits);
        features.udp(server, traits);
        checks.addAll(new ServerReport(settings, server, name, traits).checks());
        return checks;
    }

    private String greetingFix(ProbeHandshake.Result greeted) {
        if (greeted.failure() instanceof Socks5HandshakeException e
                && e.kind() == Socks5HandshakeException.Kind.CLOSED && tls == null) {
            return "the server must accept 'no authentication' (or set socks.username and socks.password); a"
                    + " socks-server with server.tls on closes a plain client: then turn gateway.upstream.tls on";
        }
        return settings.socks().authenticates()
                ? "check socks.username and socks.password (or MPGW_SOCKS_USERNAME/PASSWORD)"
                : "the server must accept 'no authentication', or set socks.username and socks.password";
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
