package mpgw.gateway.upstream;

import io.netty.channel.Channel;
import io.netty.channel.EventLoop;

/**
 * Upstream connections made ahead of the flows that will use them: connected, SOCKS5 greeting (and
 * authentication) done, so a flow sends only its command request and first bytes. The warm pool implements it
 * ({@code upstream.pool}); {@link #NONE} is the gateway without one.
 *
 * <p>Thread-safe; {@link #take} is called on the flow's event loop.
 */
public interface WarmUpstreams {
    /** No warm connections: every take is null and nothing is counted. */
    WarmUpstreams NONE = new WarmUpstreams() {
        @Override
        public Channel take(EventLoop loop) {
            return null;
        }

        @Override
        public void start() {
        }

        @Override
        public void close() {
        }
    };

    /**
     * A ready connection for a flow on {@code loop} (call on that loop), with an empty pipeline and auto-read off,
     * whose greeting is done; null when there is none.
     */
    Channel take(EventLoop loop);

    /** Starts making connections. */
    void start();

    /** Closes every connection not handed out; no more are made. */
    void close();
}
