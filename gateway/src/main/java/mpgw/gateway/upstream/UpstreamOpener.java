package mpgw.gateway.upstream;

import io.netty.channel.Channel;
import java.net.InetSocketAddress;
import java.time.Duration;
import mpgw.gateway.metrics.GatewayMetrics;

/**
 * How the flows get their upstream connections: one per gateway, shared by every flow; each flow's way to its
 * connection is an {@link Attempt}. Holds the pieces an attempt chooses between: the warm connections, the
 * connector (address race, fast open) and the fast-open wait for the client's first bytes.
 *
 * <p>Thread-safe (immutable); attempts run on their flow's event loop.
 */
public final class UpstreamOpener {
    final UpstreamConnector connector;
    final WarmUpstreams warm;
    final Socks5ClientSettings socks;
    final Duration fastOpenWait;
    final GatewayMetrics metrics;
    /** socks.pipelined = auto: what each server did with pipelined requests. */
    final PipeliningMemory pipelining;

    public UpstreamOpener(UpstreamConnector connector, WarmUpstreams warm, Socks5ClientSettings socks,
                          Duration fastOpenWait, GatewayMetrics metrics) {
        this.connector = connector;
        this.warm = warm;
        this.socks = socks;
        this.fastOpenWait = fastOpenWait;
        this.metrics = metrics;
        this.pipelining = new PipeliningMemory(socks.pipeliningMemory());
    }

    /**
     * Starts getting an upstream connection for the flow of {@code downstream} (call on its event loop); the
     * listener hears of each connection to run the handshake on, or that no server could be reached.
     *
     * @param early the client's bytes so far; with fast open, they may leave in the SYN
     */
    public Attempt open(Channel downstream, InetSocketAddress destination, EarlyData early,
                        Attempt.Listener listener) {
        Attempt attempt = new Attempt(this, downstream, destination, early, listener);
        attempt.start();
        return attempt;
    }

    /** Client bytes may go into the SYN: fast open, a wait configured, and the request need not wait for replies. */
    boolean carriesFirstBytes() {
        return connector.fastOpen() && !fastOpenWait.isZero() && socks.pipelined();
    }
}
