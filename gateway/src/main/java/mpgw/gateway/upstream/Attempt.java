package mpgw.gateway.upstream;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.handler.codec.socksx.v5.Socks5CommandType;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import mpgw.config.Addresses;
import mpgw.gateway.upstream.Socks5ClientHandshake.Opening;
import mpgw.log.LogLimiter;
import mpgw.tls.HandshakeResult;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * One flow's way to its upstream connection, decided here and nowhere else:
 * <ol>
 *   <li>a warm connection when the pool has one ({@link WarmUpstreams}): the greeting is done;</li>
 *   <li>otherwise, with fast open, a wait for the client's first bytes ({@link FirstBytesWait}), which then ride
 *       in the SYN after the SOCKS request ({@link SynPayload});</li>
 *   <li>a fresh connection, raced over the socks-server addresses ({@link UpstreamConnector});</li>
 *   <li>a warm connection that fails before the command reply without a reply code (RST, EOF, write error) is
 *       replaced, once, by a fresh one that gets the same client bytes;</li>
 *   <li>{@code socks.pipelined = auto}: a pipelined handshake whose command reply is late after the method reply
 *       ({@link LateReplyBound}) is raced by a step-by-step one to the same server; the first command reply
 *       wins and the other connection is closed. It is not safe to send the request again on the first
 *       connection: a server that did read it would take the copy as payload for the destination. A server
 *       whose step-by-step side wins is remembered ({@link PipeliningMemory}) and later flows to it go step by
 *       step at once.</li>
 * </ol>
 * Each connection reads the client's bytes through its own view of one {@link EarlyDataLog}, so none is lost or
 * sent twice whichever connection carries the flow. This class runs the SOCKS5 handshake on each connection and
 * tells the {@link Listener} about the one that carries the flow (or the last failure).
 *
 * <p>Event-loop only (the downstream channel's, which the upstream shares). The owner calls {@link #release()}
 * once when the flow leaves setup, and {@link #cancel()} when the client leaves before.
 */
public final class Attempt {
    private static final long POOLED_WATCH_MILLIS = 200;
    private static final Logger LOG = LogManager.getLogger(Attempt.class);
    /** One line per server and hour at most: the fix is the same for every flow. */
    private static final LogLimiter DROPS_LOG = new LogLimiter(Duration.ofHours(1), 256);

    /** Hears how the attempt goes; called on the event loop. */
    public interface Listener {
        /** A handshake starts with {@code server} (the step-by-step side of a race names the same server). */
        void handshakeStarted(InetSocketAddress server);

        /**
         * The handshake of the connection that carries the flow ended, or the last one failed; called once.
         *
         * @param startedNanos {@link System#nanoTime()} when that handshake started
         */
        void handshakeEnded(Channel upstream, Future<Channel> handshake, long startedNanos, Opening opening);

        /** No socks-server address could be connected. */
        void unreachable(Throwable cause);
    }

    /** One connection's handshake. */
    private static final class Leg {
        final Channel channel;
        final Opening opening;
        final Socks5ClientSettings socks;
        final long startedNanos = System.nanoTime();
        Future<Channel> handshake;

        Leg(Channel channel, Opening opening, Socks5ClientSettings socks) {
            this.channel = channel;
            this.opening = opening;
            this.socks = socks;
        }

        InetSocketAddress server() {
            return (InetSocketAddress) channel.remoteAddress();
        }

        boolean running() {
            return !handshake.isDone();
        }
    }

    private final UpstreamOpener opener;
    private final Channel downstream;
    private final InetSocketAddress destination;
    private final EarlyData early;
    private final Listener listener;
    /** Kept when a second connection may need the client's bytes: a pool member, or pipelined = auto. */
    private final EarlyDataLog clientBytes;
    private FirstBytesWait waiting;
    private SynPayload synPayload;
    private Socks5ClientSettings synSocks;
    private EarlyData nextEarly;
    private Future<Channel> connecting;
    private Future<Channel> fallbackConnecting;
    private Leg first;
    private Leg fallback;
    private Leg lastFailed;
    private boolean decided;

    Attempt(UpstreamOpener opener, Channel downstream, InetSocketAddress destination, EarlyData early,
            Listener listener) {
        this.opener = opener;
        this.downstream = downstream;
        this.destination = destination;
        this.early = early;
        this.listener = listener;
        this.clientBytes = opener.socks.adaptive() || opener.warm != WarmUpstreams.NONE
                ? new EarlyDataLog(early, downstream.alloc(), opener.socks.earlyDataLimit()) : null;
    }

    void start() {
        Channel pooled = opener.warm.take(downstream.eventLoop());
        if (pooled != null) {
            handOver(pooled, Opening.GREETED, socksFor((InetSocketAddress) pooled.remoteAddress()), view());
        } else if (opener.carriesFirstBytes() && !opener.pipelining.dropsAny(opener.connector.servers())) {
            // The log's arrival listener is set once the wait is over (FirstBytesWait owns it meanwhile).
            waiting = FirstBytesWait.start(early, downstream.eventLoop(), opener.fastOpenWait, () -> {
                if (downstream.isActive()) { // a RST also ends the wait, as an EOF after the close
                    connectFresh();
                }
            });
        } else {
            connectFresh();
        }
    }

    /** A new reader of every client byte from the first, or the client's bytes themselves when none is kept. */
    private EarlyData view() {
        return clientBytes != null ? clientBytes.view() : early;
    }

    private Socks5ClientSettings socksFor(InetSocketAddress server) {
        return opener.socks.adaptive() && opener.pipelining.drops(server) ? opener.socks.stepByStep() : opener.socks;
    }

    private void connectFresh() {
        nextEarly = view();
        if (!opener.connector.fastOpen()) {
            connecting = opener.connector.connect(downstream.eventLoop());
        } else {
            // The request leaves before the server is known: step by step if any server drops pipelined bytes.
            Socks5ClientSettings socks = opener.socks.adaptive()
                    && opener.pipelining.dropsAny(opener.connector.servers()) ? opener.socks.stepByStep() : opener.socks;
            synSocks = socks;
            Supplier<ByteBuf> request = () -> Socks5Requests.opening(socks, Socks5CommandType.CONNECT, destination,
                    downstream.alloc());
            if (socks.pipelined() && opener.carriesFirstBytes()) {
                // Taken here, so counted once in the flow's early bytes wherever they are sent.
                synPayload = new SynPayload(request, nextEarly.take());
                connecting = opener.connector.connect(downstream.eventLoop(), synPayload);
            } else {
                connecting = opener.connector.connect(downstream.eventLoop(), attempt -> request.get());
            }
        }
        connecting.addListener(f -> connected());
    }

    private void connected() {
        if (connecting.isCancelled()) {
            return;
        }
        if (!connecting.isSuccess()) {
            listener.unreachable(connecting.cause());
            return;
        }
        Channel channel = connecting.getNow();
        if (synPayload != null) {
            ByteBuf unsent = synPayload.unsentOn(channel);
            synPayload = null;
            if (unsent.isReadable()) {
                channel.write(unsent); // after the request in the outbound buffer; the handshake flushes
            } else {
                unsent.release();
            }
        }
        if (opener.connector.fastOpen()) {
            handOver(channel, Opening.REQUEST_SENT, synSocks, nextEarly);
        } else {
            handOver(channel, Opening.FRESH, socksFor((InetSocketAddress) channel.remoteAddress()), nextEarly);
        }
    }

    /** Runs the handshake on the flow's first connection (or its replacement after a dead pool member). */
    private void handOver(Channel channel, Opening opening, Socks5ClientSettings socks, EarlyData data) {
        if (!downstream.isActive()) {
            channel.close();
            return;
        }
        Leg leg = new Leg(channel, opening, socks);
        first = leg;
        Socks5ClientHandshake handshake = handshake(leg, data);
        if (opening != Opening.GREETED && !opener.pipelining.accepts(leg.server())) {
            // Not on a warm member: a dead one also answers nothing, and its own retry (below) must handle it.
            handshake.onLateCommandReply(() -> lateReply(leg));
        }
        install(leg, handshake);
        if (opening == Opening.GREETED) {
            watchPooled(channel, leg.handshake);
        }
    }

    private Socks5ClientHandshake handshake(Leg leg, EarlyData data) {
        Promise<Channel> result = leg.channel.eventLoop().newPromise();
        leg.handshake = result;
        listener.handshakeStarted(leg.server());
        return new Socks5ClientHandshake(leg.server(), destination, leg.socks, data, result,
                Socks5CommandType.CONNECT, leg.opening);
    }

    private void install(Leg leg, Socks5ClientHandshake handshake) {
        leg.handshake.addListener(f -> ended(leg));
        leg.channel.pipeline().addLast(UpstreamPipeline.SOCKS5_HANDSHAKE, handshake);
    }

    /**
     * A pooled member whose subflows were reset at the first write does not close: the MPTCP connection waits
     * for a subflow that never comes. While the command reply is pending, such a member is closed, which makes
     * the flow retry on a fresh connection.
     */
    private static void watchPooled(Channel member, Future<Channel> handshake) {
        Future<?> watch = member.eventLoop().scheduleAtFixedRate(() -> {
            if (!handshake.isDone() && MptcpSubflows.lostEvery(member)) {
                member.close();
            }
        }, POOLED_WATCH_MILLIS, POOLED_WATCH_MILLIS, TimeUnit.MILLISECONDS);
        handshake.addListener(f -> watch.cancel(false));
    }

    /** The pipelined request of {@code leg} got no reply in time: race a step-by-step handshake against it. */
    private void lateReply(Leg leg) {
        if (decided || leg != first || fallbackConnecting != null || !downstream.isActive()) {
            return;
        }
        InetSocketAddress server = leg.server();
        fallbackConnecting = opener.connector.connectTo(downstream.eventLoop(), server);
        fallbackConnecting.addListener(f -> {
            if (f.isCancelled()) {
                return;
            }
            if (!f.isSuccess()) {
                if (first == null || !first.running()) {
                    finish(lastFailed); // the pipelined side failed meanwhile, and there is nothing else
                }
                return;
            }
            Channel channel = fallbackConnecting.getNow();
            if (decided || !downstream.isActive()) {
                channel.close();
                return;
            }
            Leg step = new Leg(channel, Opening.FRESH, opener.socks.stepByStep());
            fallback = step;
            install(step, handshake(step, view()));
        });
    }

    private void ended(Leg leg) {
        if (decided) {
            return; // the loser of a race, closed by the winner
        }
        Future<Channel> handshake = leg.handshake;
        if (handshake.isSuccess()) {
            learn(leg);
            finish(leg);
            return;
        }
        lastFailed = leg;
        Throwable cause = handshake.cause();
        boolean answered = cause instanceof Socks5HandshakeException e
                && e.replyCode() != Socks5HandshakeException.NO_REPLY;
        if (!answered && leg == first && fallbackConnecting != null
                && (!fallbackConnecting.isDone() || fallback != null && fallback.running())) {
            return; // the step-by-step side may still carry the flow
        }
        if (!answered && leg == fallback && first != null && first.running()) {
            return; // the pipelined side may still get its reply
        }
        if (leg == first && fallbackConnecting == null && retriesPooled(leg, cause)) {
            return;
        }
        finish(leg);
    }

    /**
     * A warm member that was dead after all (RST or EOF at its first write, no reply code) is replaced by a fresh
     * connection that gets every client byte from the first.
     */
    private boolean retriesPooled(Leg leg, Throwable cause) {
        HandshakeResult tls = UpstreamTls.result(leg.channel);
        if (tls != null && !tls.isOk()) {
            return false; // a refused certificate stays refused on a fresh connection
        }
        if (leg.opening == Opening.GREETED && cause instanceof Socks5HandshakeException e
                && e.replyCode() == Socks5HandshakeException.NO_REPLY && !e.isTimeout() && downstream.isActive()) {
            opener.metrics.poolRetried();
            first = null;
            connectFresh();
            return true;
        }
        return false;
    }

    /** What the winner says about the server, for later flows. */
    private void learn(Leg winner) {
        if (!opener.socks.adaptive()) {
            return;
        }
        InetSocketAddress server = winner.server();
        if (winner == fallback) {
            opener.metrics.pipeliningFallback(server);
            if (opener.pipelining.rememberDrops(server)) {
                DROPS_LOG.log(LOG, Level.WARN, server, "socks5 proxy={} answered the method selection but not a"
                        + " pipelined request in time, and a step-by-step handshake on a second connection got its"
                        + " reply: the server drops pipelined bytes; flows to it go step by step for {}"
                        + " (set gateway.socks.pipelined = off to say so)",
                        Addresses.format(server), opener.socks.pipeliningMemory());
            }
        } else if (winner.socks.pipelined()) {
            opener.pipelining.rememberAccepts(server);
        }
    }

    private void finish(Leg leg) {
        if (decided || leg == null) {
            return;
        }
        decided = true;
        if (fallbackConnecting != null && !fallbackConnecting.isDone()) {
            fallbackConnecting.cancel(false);
        }
        for (Leg other : new Leg[] {first, fallback}) {
            if (other != null && other != leg) {
                other.channel.close();
            }
        }
        listener.handshakeEnded(leg.channel, leg.handshake, leg.startedNanos, leg.opening);
    }

    /** The client left before the relay started: stops waiting and connecting, and closes the upstream. */
    public void cancel() {
        if (waiting != null) {
            waiting.cancel();
        }
        for (Future<Channel> f : java.util.Arrays.asList(connecting, fallbackConnecting)) {
            if (f != null && !f.isDone()) {
                f.cancel(false);
            }
        }
        for (Leg leg : new Leg[] {first, fallback}) {
            if (leg != null) {
                leg.channel.close();
            }
        }
    }

    /** Frees what the attempt still holds of the client's bytes (call once, when the flow leaves setup). */
    public void release() {
        if (waiting != null) {
            waiting.cancel();
        }
        if (synPayload != null) {
            synPayload.release();
            synPayload = null;
        }
        if (clientBytes != null) {
            clientBytes.release();
        }
    }
}
