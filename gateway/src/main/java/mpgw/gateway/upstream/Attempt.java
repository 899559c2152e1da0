package mpgw.gateway.upstream;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.handler.codec.socksx.v5.Socks5CommandType;
import io.netty.util.concurrent.Future;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import mpgw.gateway.upstream.Socks5ClientHandshake.Opening;

/**
 * One flow's way to its upstream connection, decided here and nowhere else:
 * <ol>
 *   <li>a warm connection when the pool has one ({@link WarmUpstreams}): the greeting is done; the client bytes
 *       handed to it are kept ({@link RetainingEarlyData}) in case it turns out dead;</li>
 *   <li>otherwise, with fast open, a wait for the client's first bytes ({@link FirstBytesWait}), which then ride
 *       in the SYN after the SOCKS request ({@link SynPayload});</li>
 *   <li>a fresh connection, raced over the socks-server addresses ({@link UpstreamConnector});</li>
 *   <li>a warm connection that fails before the command reply without a reply code (RST, EOF, write error) is
 *       replaced, once, by a fresh one that gets the same client bytes ({@link #retry}).</li>
 * </ol>
 * The {@link Listener} runs the SOCKS5 handshake on each connection it is given.
 *
 * <p>Event-loop only (the downstream channel's, which the upstream shares). The owner calls {@link #release()}
 * once when the flow leaves setup, and {@link #cancel()} when the client leaves before.
 */
public final class Attempt {
    private static final long POOLED_WATCH_MILLIS = 200;

    /** Hears how the attempt goes; called on the event loop. */
    public interface Listener {
        /**
         * A connection to run the SOCKS5 handshake on, what it has seen, and the client bytes to send through it;
         * returns the handshake's result.
         */
        Future<Channel> connected(Channel upstream, Opening opening, EarlyData early);

        /** No socks-server address could be connected. */
        void unreachable(Throwable cause);
    }

    private final UpstreamOpener opener;
    private final Channel downstream;
    private final InetSocketAddress destination;
    private final EarlyData early;
    private final Listener listener;
    private FirstBytesWait waiting;
    private SynPayload synPayload;
    private Future<Channel> connecting;
    private Channel upstream;
    private Opening opening;
    private RetainingEarlyData retained;

    Attempt(UpstreamOpener opener, Channel downstream, InetSocketAddress destination, EarlyData early,
            Listener listener) {
        this.opener = opener;
        this.downstream = downstream;
        this.destination = destination;
        this.early = early;
        this.listener = listener;
    }

    void start() {
        Channel pooled = opener.warm.take(downstream.eventLoop());
        if (pooled != null) {
            retained = new RetainingEarlyData(early, downstream.alloc());
            handOver(pooled, Opening.GREETED);
        } else if (opener.carriesFirstBytes()) {
            waiting = FirstBytesWait.start(early, downstream.eventLoop(), opener.fastOpenWait, () -> {
                if (downstream.isActive()) { // a RST also ends the wait, as an EOF after the close
                    connectFresh();
                }
            });
        } else {
            connectFresh();
        }
    }

    private void connectFresh() {
        Supplier<ByteBuf> request = () -> Socks5Requests.opening(opener.socks, Socks5CommandType.CONNECT,
                destination, downstream.alloc());
        if (retained == null && opener.carriesFirstBytes()) {
            // Taken here, so counted once in the flow's early bytes wherever they are sent.
            synPayload = new SynPayload(request, early.take());
            connecting = opener.connector.connect(downstream.eventLoop(), synPayload);
        } else {
            connecting = opener.connector.connect(downstream.eventLoop(), attempt -> request.get());
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
        handOver(channel, opener.connector.fastOpen() ? Opening.REQUEST_SENT : Opening.FRESH);
    }

    private void handOver(Channel channel, Opening opening) {
        upstream = channel;
        this.opening = opening;
        if (!downstream.isActive()) {
            upstream.close();
            return;
        }
        Future<Channel> handshake = listener.connected(channel, opening, retained != null ? retained : early);
        if (opening == Opening.GREETED) {
            watchPooled(channel, handshake);
        }
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

    /**
     * The handshake on the connection last handed over failed with {@code cause}: true when the attempt goes on
     * (a pooled connection that was dead after all: RST or EOF at its first write) and the listener will hear of
     * a fresh connection; false when the flow has failed.
     */
    public boolean retry(Throwable cause) {
        if (opening == Opening.GREETED && cause instanceof Socks5HandshakeException e
                && e.replyCode() == Socks5HandshakeException.NO_REPLY && !e.isTimeout() && downstream.isActive()) {
            opener.metrics.poolRetried();
            retained.rewind();
            upstream = null;
            connectFresh();
            return true;
        }
        return false;
    }

    /** The client left before the relay started: stops waiting and connecting, and closes the upstream. */
    public void cancel() {
        if (waiting != null) {
            waiting.cancel();
        }
        if (connecting != null && !connecting.isDone()) {
            connecting.cancel(false);
        }
        if (upstream != null) {
            upstream.close();
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
        if (retained != null) {
            retained.release();
            retained = null;
        }
    }
}
