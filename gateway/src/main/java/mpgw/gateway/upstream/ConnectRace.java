package mpgw.gateway.upstream;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import mpgw.config.Addresses;
import mpgw.gateway.metrics.GatewayMetrics;

/**
 * One flow's connect to the socks-server, racing its addresses
 * (<a href="https://www.rfc-editor.org/rfc/rfc8305#section-5">RFC 8305 §5</a> style): the first address is tried;
 * when it has not connected within the race delay, or as soon as it fails, the next one starts too, and so on.
 * The first attempt to connect wins; the others are closed. An address that failed, or that was still pending
 * after the race delay when another won, is remembered as bad so later flows try it last.
 *
 * <p>The race does not know how an attempt connects: {@code dial} starts one to a given address (see
 * {@link UpstreamConnector#connect}).
 *
 * <p>Threading: created and run on one event loop; all state is touched only there.
 */
final class ConnectRace {
    private final List<InetSocketAddress> order;
    private final Function<InetSocketAddress, ChannelFuture> dial;
    private final EventLoop loop;
    private final Promise<Channel> result;
    private final long raceDelayMillis;
    private final long connectTimeoutMillis;
    private final BadServerMemory badServers;
    private final GatewayMetrics metrics;
    private final List<Attempt> attempts = new ArrayList<>();
    private final List<String> failures = new ArrayList<>();
    private int next;
    private Future<?> raceTimer;

    private record Attempt(InetSocketAddress server, ChannelFuture future, long startNanos) {
    }

    /**
     * @param order                addresses in the order to try them
     * @param dial                 starts one attempt, on {@code loop}
     * @param connectTimeoutMillis the attempts' connect timeout, named in failure messages
     */
    ConnectRace(List<InetSocketAddress> order, Function<InetSocketAddress, ChannelFuture> dial, EventLoop loop,
                Promise<Channel> result, long raceDelayMillis, long connectTimeoutMillis, BadServerMemory badServers,
                GatewayMetrics metrics) {
        this.order = order;
        this.dial = dial;
        this.loop = loop;
        this.result = result;
        this.raceDelayMillis = raceDelayMillis;
        this.connectTimeoutMillis = connectTimeoutMillis;
        this.badServers = badServers;
        this.metrics = metrics;
    }

    void start() {
        result.addListener(f -> {
            if (f.isCancelled()) {
                finish(null);
            }
        });
        if (loop.inEventLoop()) {
            launchNext();
        } else {
            loop.execute(this::launchNext);
        }
    }

    private void launchNext() {
        cancelTimer();
        if (result.isDone()) {
            return;
        }
        if (next >= order.size()) {
            if (attempts.isEmpty()) {
                result.tryFailure(new UpstreamConnectException("no socks-server reachable: "
                        + String.join(", ", failures)));
            }
            return;
        }
        InetSocketAddress server = order.get(next++);
        Attempt attempt = new Attempt(server, dial.apply(server), System.nanoTime());
        attempts.add(attempt);
        attempt.future().addListener(f -> done(attempt));
        if (next < order.size()) {
            raceTimer = loop.schedule(this::launchNext, raceDelayMillis, TimeUnit.MILLISECONDS);
        }
    }

    private void done(Attempt attempt) {
        if (!attempts.remove(attempt)) {
            return; // closed by finish(): the race was already decided
        }
        ChannelFuture f = attempt.future();
        if (f.isSuccess()) {
            badServers.markGood(attempt.server());
            metrics.upstreamConnected(attempt.server(), System.nanoTime() - attempt.startNanos());
            if (result.trySuccess(f.channel())) {
                finish(attempt);
            } else {
                f.channel().close();
            }
            return;
        }
        try {
            badServers.markBad(attempt.server());
            metrics.upstreamConnectFailed(attempt.server());
            failures.add(Addresses.format(attempt.server()) + " (" + reason(f.cause()) + ")");
        } catch (RuntimeException | LinkageError e) {
            // Netty logs and swallows what a listener throws: the race would never end, and the flow would hold
            // its client's descriptor for good. Seen in the soak: with the descriptors exhausted, the first
            // ConnectFailure use could not load the class (NoClassDefFoundError), 12 flows hung, 13 fds leaked.
            failures.add(Addresses.format(attempt.server()) + " (" + e + ")");
        }
        launchNext();
    }

    /** Closes every attempt but the winner; the slow ones count as bad for later flows. */
    private void finish(Attempt winner) {
        cancelTimer();
        long now = System.nanoTime();
        for (Attempt a : List.copyOf(attempts)) {
            if (a == winner) {
                continue;
            }
            attempts.remove(a);
            if (now - a.startNanos() >= TimeUnit.MILLISECONDS.toNanos(raceDelayMillis)) {
                badServers.markBad(a.server());
            }
            a.future().channel().close();
        }
    }

    private void cancelTimer() {
        if (raceTimer != null) {
            raceTimer.cancel(false);
            raceTimer = null;
        }
    }

    private String reason(Throwable cause) {
        return ConnectFailure.reason(cause, connectTimeoutMillis);
    }
}
