package mpgw.gateway.upstream.pool;

import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import mpgw.gateway.upstream.MptcpSubflows;
import mpgw.gateway.upstream.Socks5ClientHandshake.Opening;
import mpgw.gateway.upstream.Socks5ClientHandshake;
import mpgw.gateway.upstream.Socks5ClientSettings;
import mpgw.gateway.upstream.Socks5HandshakeException;
import mpgw.gateway.upstream.Socks5Requests;
import mpgw.gateway.upstream.UpstreamConnector;
import mpgw.gateway.upstream.UpstreamPipeline;

/**
 * One warm connection of {@link UpstreamPool}: connect, greeting ({@link Socks5ClientHandshake#greetingOnly}),
 * wait for the subflows, then idle ({@link PoolIdleWatch}) until handed out or found unfit ({@link #problem()}).
 * Event-loop only.
 */
final class PoolMember {
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
                attempt -> Socks5Requests.opening(socks, null, null, ByteBufAllocator.DEFAULT));
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
            greet();
        });
    }

    private void greet() {
        Promise<Channel> greeting = loop.newPromise();
        greeting.addListener(f -> {
            if (f.isSuccess()) {
                // Before the handshake leaves: whatever the server sends after its reply meets the watch.
                channel.pipeline().addLast(UpstreamPipeline.POOL_IDLE_WATCH, new PoolIdleWatch());
                greeted();
            } else {
                greetingFailed(reason(f.cause()));
            }
        });
        channel.pipeline().addLast(UpstreamPipeline.SOCKS5_HANDSHAKE, Socks5ClientHandshake.greetingOnly(
                (InetSocketAddress) channel.remoteAddress(), socks,
                connector.fastOpen() ? Opening.REQUEST_SENT : Opening.FRESH, greeting));
    }

    private static String reason(Throwable cause) {
        if (!(cause instanceof Socks5HandshakeException e)) {
            return "greeting-refused";
        }
        return switch (e.kind()) {
            case TIMEOUT -> "greeting-timeout";
            case AUTH_REFUSED -> "auth-refused";
            case CLOSED -> "closed";
            default -> "greeting-refused";
        };
    }

    /** The greeting succeeded: wait for the subflows (at most join-wait), then the member is ready. */
    private void greeted() {
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
    private void greetingFailed(String reason) {
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

    /**
     * Whether this member is within {@code aheadNanos} of max-idle: its replacement is opened now, and it leaves
     * once that one is ready, so the pool does not empty every max-idle when all members were opened together.
     */
    boolean dueForRenewal(long aheadNanos) {
        return System.nanoTime() - idleSinceNanos >= settings.maxIdle().toNanos() - aheadNanos;
    }

    /** Established subflows, or -1 when the connection is not MPTCP (fell back) or cannot be asked. */
    private long subflows() {
        return MptcpSubflows.established(channel);
    }

    /** Leaves the pool for a flow: the pipeline is empty again. */
    Channel handOut() {
        handedOut = true;
        channel.pipeline().remove(UpstreamPipeline.POOL_IDLE_WATCH);
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
