package mpgw.gateway.tcp;

import io.netty.channel.Channel;
import io.netty.handler.codec.socksx.v5.Socks5CommandStatus;
import io.netty.util.AttributeKey;
import java.net.InetSocketAddress;
import java.time.Duration;
import mpgw.connection.ConnectionRecord;
import mpgw.connection.Outcome;
import mpgw.gateway.metrics.GatewayMetrics;
import mpgw.log.LogLimiter;
import mpgw.relay.ByteMeter;
import mpgw.relay.ConnectionReset;
import mpgw.relay.RelayStats;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * One intercepted TCP connection, from accept to close: what the handlers learn about it (original destination,
 * socks-server used), kept in its {@link ConnectionRecord}, and its single end, which writes the flow's log line and
 * metrics once.
 *
 * <p>Log line ({@link ConnectionRecord#line()}, the socks-server's words):
 * {@code conn=1a2b3c4d client=… dest=… server=… up=… down=… ms=… outcome=… [detail="…"]}; relayed flows at
 * info, {@code client-gone} at debug (client-side noise), refusals at warn.
 *
 * <p>Threading: attached to the downstream channel and touched only on its event loop.
 */
final class Flow {
    private static final AttributeKey<Flow> FLOW = AttributeKey.valueOf("mpgw.gateway.flow");
    private static final Logger log = LogManager.getLogger(Flow.class);
    /** Refused and failed flows: one WARN line per client address per 10 s. */
    private static final LogLimiter REFUSED_LOG = new LogLimiter(Duration.ofSeconds(10), 4096);

    private final Channel downstream;
    private final GatewayMetrics metrics;
    private final ConnectionRecord record;

    private Flow(Channel downstream, GatewayMetrics metrics) {
        this.downstream = downstream;
        this.metrics = metrics;
        this.record = ConnectionRecord.attach(downstream, (InetSocketAddress) downstream.remoteAddress(), "server",
                this::ended);
    }

    /** Attaches a new flow to an accepted channel; a close before the relay starts ends it as client-gone. */
    static Flow start(Channel downstream, GatewayMetrics metrics) {
        Flow flow = new Flow(downstream, metrics);
        downstream.attr(FLOW).set(flow);
        metrics.flowStarted();
        return flow;
    }

    static Flow of(Channel downstream) {
        return downstream.attr(FLOW).get();
    }

    InetSocketAddress destination() {
        return record.destination();
    }

    void destination(InetSocketAddress destination) {
        record.destination(destination);
    }

    void server(InetSocketAddress server) {
        record.peer(server);
    }

    /** The socks-server's certificate fingerprint, shown in the line's {@code peer} field (TLS on only). */
    void serverCertificate(String fingerprint) {
        record.peerCertificate(fingerprint);
    }

    /**
     * The relay took over: the flow ends when it does. {@code earlyBytes}: client bytes sent upstream during the
     * handshake, which the relay's count does not include.
     */
    void relaying(long earlyBytes) {
        record.relaying();
        record.addBytes(earlyBytes, 0);
        metrics.bytes(earlyBytes, 0);
    }

    /** The relay's live byte counts, for the metrics. */
    ByteMeter meter() {
        return metrics::bytes;
    }

    void relayEnded(RelayStats stats) {
        record.relayEnded(stats.bytesUp(), stats.bytesDown());
    }

    /** Ends the flow with a refusal and resets the client connection. */
    void refuse(Outcome outcome, String detail) {
        record.outcome(outcome, detail);
        record.end();
        ConnectionReset.reset(downstream);
    }

    /** Ends the flow refused by the server's SOCKS5 reply {@code reply} (the log's {@code reply=} field). */
    void refusedBy(int reply, String detail) {
        record.refused(ConnectionRecord.replyName(Socks5CommandStatus.valueOf((byte) reply)), detail);
        record.end();
        ConnectionReset.reset(downstream);
    }

    private void ended(ConnectionRecord r) {
        metrics.flowEnded(r.outcome(), r.bytesUp(), r.bytesDown());
        if (r.outcome() == Outcome.RELAYED) {
            log.info(r.line());
        } else if (r.outcome() == Outcome.CLIENT_GONE) {
            log.debug(r.line()); // client-side noise logs lower than upstream failures
        } else if (r.outcome() == Outcome.CUT) {
            log.info(r.line()); // the daemon is stopping: one per flow still open, not a client's doing
        } else {
            // Refused, looping, unreachable: any LAN host can cause these at will, so one line per client address
            // per interval, and the line that gets through says how many it stands for (issue 16).
            REFUSED_LOG.log(log, Level.WARN, r.client() == null ? "?" : r.client().getAddress(), "{}", r.line());
        }
    }
}
