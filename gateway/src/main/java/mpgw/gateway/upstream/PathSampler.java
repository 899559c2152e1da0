package mpgw.gateway.upstream;

import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.unix.UnixChannel;
import io.netty.util.NetUtil;
import io.netty.util.concurrent.Future;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import mpgw.config.Addresses;
import mpgw.gateway.metrics.GatewayMetrics;
import mpgw.jni.MptcpInfo;
import mpgw.jni.MptcpSocketFactory;
import mpgw.jni.SubflowInfo;

/**
 * Samples one upstream MPTCP connection with {@link MptcpInfo}: 1 s after its relay starts, every {@code interval}
 * while it is open, and at its end (the {@code path-sampler} slot sees the server's EOF and the gateway's close
 * before the subflows go), so short flows and a flow's last seconds count too. Reports the subflow count and, per
 * subflow, the bytes sent and received since the previous sample (tcpi_bytes_sent counts retransmissions too).
 * A connection the server resets is not sampled at its end. Stops for connections that are plain TCP (fallback
 * or {@code mptcp = off}); one opened as MPTCP that runs as plain TCP is counted as a peer fallback (a server
 * without MPTCP, or a middlebox that strips the option).
 *
 * <p>Threading: runs on the channel's event loop.
 */
public final class PathSampler {
    private static final long FIRST_SAMPLE_MILLIS = 1000;

    private final Channel upstream;
    private final long intervalMillis;
    private final GatewayMetrics metrics;
    /** Last counters per subflow, keyed with ports: a path may carry several subflows over time. */
    private final Map<Subflow, Counts> last = new HashMap<>();
    private Future<?> next;
    private boolean judged;

    private PathSampler(Channel upstream, Duration interval, GatewayMetrics metrics) {
        this.upstream = upstream;
        this.intervalMillis = interval.toMillis();
        this.metrics = metrics;
    }

    public static void start(Channel upstream, Duration interval, GatewayMetrics metrics) {
        PathSampler sampler = new PathSampler(upstream, interval, metrics);
        sampler.schedule(FIRST_SAMPLE_MILLIS);
        upstream.pipeline().addFirst(UpstreamPipeline.PATH_SAMPLER, sampler.new LastSample());
        upstream.closeFuture().addListener(f -> sampler.stop());
    }

    /**
     * Takes the last samples while the subflows still exist: when the server's side ends (its DATA_FIN; after that
     * the kernel may close the subflows at any time) and when the gateway closes the upstream.
     */
    private final class LastSample extends ChannelDuplexHandler {
        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
            if (evt instanceof ChannelInputShutdownEvent && upstream.isActive()) {
                record();
            }
            ctx.fireUserEventTriggered(evt);
        }

        @Override
        public void close(ChannelHandlerContext ctx, ChannelPromise promise) throws Exception {
            stop();
            if (upstream.isActive()) {
                record();
            }
            ctx.close(promise);
        }
    }

    private void schedule(long millis) {
        next = upstream.eventLoop().schedule(this::sample, millis, TimeUnit.MILLISECONDS);
    }

    private void stop() {
        if (next != null) {
            next.cancel(false);
            next = null;
        }
    }

    private void sample() {
        if (upstream.isActive() && record()) {
            schedule(intervalMillis);
        }
    }

    /** Reports one sample; false when there is nothing to sample (plain TCP, or the socket is going away). */
    private boolean record() {
        MptcpInfo info;
        try {
            info = MptcpInfo.of(upstream);
        } catch (IOException | RuntimeException e) {
            return false; // the socket is closing; a sample is never worth a failure
        }
        if (!info.mptcp()) {
            if (!judged && openedAsMptcp()) {
                metrics.mptcpPeerFallback();
            }
            judged = true;
            return false;
        }
        judged = true;
        metrics.subflows(info.subflowsTotal());
        for (SubflowInfo s : info.subflows()) {
            Counts prev = last.computeIfAbsent(new Subflow(s.local(), s.remote()), Counts::new);
            long sent = Math.max(0, s.bytesSent() - prev.sent);
            long received = Math.max(0, s.bytesReceived() - prev.received);
            prev.sent = s.bytesSent();
            prev.received = s.bytesReceived();
            if (sent > 0 || received > 0) {
                metrics.pathBytes(prev.path, sent, received);
            }
        }
        return true;
    }

    private boolean openedAsMptcp() {
        try {
            return upstream instanceof UnixChannel unix && MptcpSocketFactory.isMptcpSocket(unix.fd());
        } catch (IOException e) {
            return false;
        }
    }

    private record Subflow(InetSocketAddress local, InetSocketAddress remote) {
    }

    private static final class Counts {
        final String path;
        long sent;
        long received;

        Counts(Subflow subflow) {
            this.path = path(subflow.local(), subflow.remote());
        }
    }

    static String path(InetSocketAddress local, InetSocketAddress remote) {
        return NetUtil.toAddressString(Addresses.normalize(local.getAddress())) + " -> " + Addresses.format(remote);
    }
}
