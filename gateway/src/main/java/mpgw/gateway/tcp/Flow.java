package mpgw.gateway.tcp;

import io.netty.channel.Channel;
import io.netty.util.AttributeKey;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import mpgw.config.Addresses;
import mpgw.gateway.metrics.FlowOutcome;
import mpgw.gateway.metrics.GatewayMetrics;
import mpgw.relay.ByteMeter;
import mpgw.relay.ConnectionReset;
import mpgw.relay.RelayStats;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * One intercepted TCP connection, from accept to close: what the handlers learn about it (original destination,
 * socks-server used) and its single end, which writes the flow's log line and metrics once.
 *
 * <p>Log line: {@code flow 1a2b3c4d client=… dst=… server=… up=… down=… duration=…ms outcome=… [detail]}.
 *
 * <p>Threading: attached to the downstream channel and touched only on its event loop.
 */
final class Flow {
    static final AttributeKey<Flow> KEY = AttributeKey.valueOf("mpgw.gateway.flow");
    private static final Logger log = LogManager.getLogger(Flow.class);

    private final Channel downstream;
    private final GatewayMetrics metrics;
    private final long startNanos = System.nanoTime();
    private InetSocketAddress destination;
    private InetSocketAddress server;
    private long earlyBytes;
    private boolean relaying;
    private boolean ended;

    private Flow(Channel downstream, GatewayMetrics metrics) {
        this.downstream = downstream;
        this.metrics = metrics;
    }

    /** Attaches a new flow to an accepted channel; a close before the relay starts ends it as client-gone. */
    static Flow start(Channel downstream, GatewayMetrics metrics) {
        Flow flow = new Flow(downstream, metrics);
        downstream.attr(KEY).set(flow);
        metrics.flowStarted();
        downstream.closeFuture().addListener(f -> {
            if (!flow.relaying) {
                flow.end(FlowOutcome.CLIENT_GONE, 0, 0, null);
            }
        });
        return flow;
    }

    static Flow of(Channel downstream) {
        return downstream.attr(KEY).get();
    }

    InetSocketAddress destination() {
        return destination;
    }

    void destination(InetSocketAddress destination) {
        this.destination = destination;
    }

    void server(InetSocketAddress server) {
        this.server = server;
    }

    /**
     * The relay took over: the flow ends when it does. {@code earlyBytes}: client bytes sent upstream during the
     * handshake, which the relay's count does not include.
     */
    void relaying(long earlyBytes) {
        this.earlyBytes = earlyBytes;
        relaying = true;
        metrics.bytes(earlyBytes, 0);
    }

    /** The relay's live byte counts, for the metrics. */
    ByteMeter meter() {
        return metrics::bytes;
    }

    void relayEnded(RelayStats stats) {
        end(FlowOutcome.RELAYED, earlyBytes + stats.bytesUp(), stats.bytesDown(), null);
    }

    /** Ends the flow with a refusal and resets the client connection. */
    void refuse(FlowOutcome outcome, String detail) {
        end(outcome, 0, 0, detail);
        ConnectionReset.reset(downstream);
    }

    /** A short name for other log lines about this flow. */
    String describe() {
        return "flow " + downstream.id().asShortText() + " client=" + Addresses.format(client()) + " dst="
                + Addresses.format(destination);
    }

    private InetSocketAddress client() {
        return (InetSocketAddress) downstream.remoteAddress();
    }

    private void end(FlowOutcome outcome, long up, long down, String detail) {
        if (ended) {
            return;
        }
        ended = true;
        metrics.flowEnded(outcome, up, down);
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
        String line = describe() + " server=" + Addresses.format(server) + " up=" + up + " down=" + down
                + " duration=" + millis + "ms outcome=" + outcome.tag() + (detail == null ? "" : " " + detail);
        if (outcome == FlowOutcome.RELAYED) {
            log.info(line);
        } else if (outcome == FlowOutcome.CLIENT_GONE) {
            log.debug(line); // client-side noise logs lower than upstream failures
        } else {
            log.warn(line);
        }
    }
}
