package mpgw.relay;

import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.DuplexChannel;
import java.util.function.Consumer;

/**
 * Joins two connected channels so bytes flow both ways until both directions are done.
 *
 * <p>Contract:
 * <ul>
 *   <li><b>Backpressure</b>: a side stops reading while the other side's outbound buffer is above its
 *       high water mark, and resumes when it drains. Nothing is buffered beyond the water marks.</li>
 *   <li><b>Half-close</b>: EOF from one side becomes {@code shutdownOutput()} on the other, after the
 *       bytes read before it are written. The relay ends when both directions have ended.</li>
 *   <li><b>Failure</b>: an error or reset on either side resets the other at once (RST, or MP_FASTCLOSE on
 *       MPTCP); bytes that arrive for a side already gone reset their sender. A side that closes cleanly
 *       closes the other after a flush.</li>
 *   <li>{@code onEnd} runs exactly once, with the byte counts, when both channels are closed.</li>
 * </ul>
 *
 * <p>Threading: both channels must be on the same event loop (callers connect the upstream with
 * {@code Bootstrap.group(inbound.eventLoop())}), so the handlers share state without locks.
 * Call from that event loop; auto-read is switched on here.
 */
public final class Relay {
    public static final String HANDLER_NAME = "relay";

    private Relay() {
    }

    public static RelayStats join(Channel downstream, Channel upstream, RelaySettings settings,
                                  Consumer<RelayStats> onEnd) {
        return join(downstream, upstream, settings, ByteMeter.NONE, onEnd);
    }

    /** As {@link #join(Channel, Channel, RelaySettings, Consumer)}, and reports bytes to {@code meter} as they move. */
    public static RelayStats join(Channel downstream, Channel upstream, RelaySettings settings, ByteMeter meter,
                                  Consumer<RelayStats> onEnd) {
        if (downstream.eventLoop() != upstream.eventLoop()) {
            throw new IllegalArgumentException("relay halves must share one event loop");
        }
        RelayStats stats = new RelayStats(meter, onEnd);
        RelayHandler down = new RelayHandler(upstream, stats, true, settings);
        RelayHandler up = new RelayHandler(downstream, stats, false, settings);
        for (Channel ch : new Channel[] {downstream, upstream}) {
            ch.config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, true);
            EpollRegistrationRepair.install(ch); // half-closed channels need it (Netty 4.2.18 epoll bug)
        }
        downstream.pipeline().addLast(HANDLER_NAME, down);
        upstream.pipeline().addLast(HANDLER_NAME, up);
        stats.watch(downstream, upstream);
        startReading(downstream);
        startReading(upstream);
        return stats;
    }

    /**
     * A side whose input was already shut down (EOF read before the relay existed) is not read again: the
     * epoll transport no longer watches its fd, and asking it to read fails with ENOENT from epoll_ctl.
     */
    private static void startReading(Channel ch) {
        if (ch instanceof DuplexChannel && ((DuplexChannel) ch).isInputShutdown()) {
            return;
        }
        ch.config().setAutoRead(true);
        ch.read();
    }
}
