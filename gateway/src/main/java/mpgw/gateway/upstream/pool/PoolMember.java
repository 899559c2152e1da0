package mpgw.gateway.upstream.pool;

import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import mpgw.gateway.upstream.Socks5ClientSettings;
import mpgw.gateway.upstream.UpstreamConnector;
import mpgw.jni.MptcpInfo;

/**
 * One warm connection of {@link UpstreamPool}: connect, greeting ({@link PoolGreeting}), wait for the subflows,
 * then idle until handed out or found unfit ({@link #problem()}). Event-loop only.
 */
final class PoolMember {
    static final String HANDLER = "pool-greeting";
    private static final long JOIN_POLL_MILLIS = 50;

    /** Told when a member leaves before it was handed out, with why. */
    interface LostListener {
        void lost(PoolMember member, String reason);
    }

    private final EventLoop loop;
    private final UpstreamConnector connector;
    private final Socks5ClientSettings socks;
    private final PoolSettings settings;
    private final Consumer<PoolMember> onReady;
    private final LostListener onLost;
    private Channel channel;
    private long idleSinceNanos;
    private long joinDeadlineNanos;
    private long subflowsSeen;
    private boolean handedOut;
    private boolean discarded;

    PoolMember(EventLoop loop, UpstreamConnector connector, Socks5ClientSettings socks, PoolSettings settings,
               Consumer<PoolMember> onReady, LostListener onLost) {
        this.loop = loop;
        this.connector = connector;
        this.socks = socks;
        this.settings = settings;
        this.onReady = onReady;
        this.onLost = onLost;
    }

    void open() {
        Future<Channel> connecting = connector.connect(loop,
                attempt -> PoolGreeting.request(socks, ByteBufAllocator.DEFAULT.buffer()));
        connecting.addListener(f -> {
            if (!connecting.isSuccess()) {
                onLost.lost(this, "connect-failed");
                return;
            }
            channel = connecting.getNow();
            if (discarded) {
                channel.close();
                return;
            }
            channel.closeFuture().addListener(c -> {
                if (!handedOut && !discarded) {
                    onLost.lost(this, "closed");
                }
            });
            channel.pipeline().addLast(HANDLER, new PoolGreeting(socks, connector.fastOpen(), this));
        });
    }

    /** The greeting succeeded: wait for the subflows (at most join-wait), then the member is ready. */
    void greeted() {
        joinDeadlineNanos = System.nanoTime() + settings.joinWait().toNanos();
        awaitSubflows();
    }

    private void awaitSubflows() {
        if (discarded || !channel.isActive()) {
            return;
        }
        long n = subflows();
        subflowsSeen = Math.max(subflowsSeen, n);
        if (n < 0 || n >= settings.minSubflows() || System.nanoTime() >= joinDeadlineNanos) {
            idleSinceNanos = System.nanoTime();
            onReady.accept(this);
        } else {
            loop.schedule(this::awaitSubflows, JOIN_POLL_MILLIS, TimeUnit.MILLISECONDS);
        }
    }

    /** The greeting failed (refused, bad bytes, timeout): the member ends. */
    void greetingFailed(String reason) {
        if (!discarded && !handedOut) {
            discarded = true;
            channel.close();
            onLost.lost(this, reason);
        }
    }

    /** Why this member must not be handed out (closed, expired, lost-subflows), or null when it is fit. */
    String problem() {
        if (!channel.isActive()) {
            return "closed";
        }
        if (System.nanoTime() - idleSinceNanos >= settings.maxIdle().toNanos()) {
            return "expired";
        }
        long n = subflows();
        if (n >= 0 && n < settings.minSubflows() && subflowsSeen >= settings.minSubflows()) {
            return "lost-subflows";
        }
        return null;
    }

    /** Established subflows, or -1 when the connection is not MPTCP (fell back) or cannot be asked. */
    private long subflows() {
        return subflows(channel);
    }

    static long subflows(Channel channel) {
        try {
            MptcpInfo info = MptcpInfo.of(channel);
            return info.mptcp() ? info.establishedSubflows() : -1;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** Leaves the pool for a flow: the pipeline is empty again. */
    Channel handOut() {
        handedOut = true;
        channel.pipeline().remove(HANDLER);
        return channel;
    }

    void discard() {
        discarded = true;
        if (channel != null) {
            channel.close();
        }
    }

    @Override
    public String toString() {
        return channel == null ? "(connecting)" : channel.toString();
    }
}
