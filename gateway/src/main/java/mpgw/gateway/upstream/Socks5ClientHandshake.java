package mpgw.gateway.upstream;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.socksx.v5.Socks5CommandType;
import io.netty.handler.codec.socksx.v5.Socks5Message;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.TimeUnit;
import mpgw.gateway.upstream.Socks5HandshakeException.Kind;

/**
 * The client side of a SOCKS5 handshake (<a href="https://www.rfc-editor.org/rfc/rfc1928">RFC 1928</a>, with
 * <a href="https://www.rfc-editor.org/rfc/rfc1929">RFC 1929</a> username/password) on the upstream channel: the
 * requests come from {@link Socks5Requests}, the replies are parsed by codec-socks' client decoders, which this
 * handler puts in front of itself; {@link Socks5ReplyCheck} says whether each reply lets the handshake go on.
 *
 * <p>Contract:
 * <ul>
 *   <li>Pipelined: greeting, credentials, command request and the early data buffered so far leave in one write;
 *       the replies are then read in order, whether they arrive byte by byte or in one segment. Client bytes
 *       that arrive before the command reply follow the request at once while the channel is writable (the
 *       server reads them as payload after the request), so they need not wait for the reply.
 *       Step by step: each message is sent after the previous reply, early data only after the command reply.</li>
 *   <li>{@link Opening}: after fast open only the early data is written at the start; on a warm connection the
 *       command request and early data are, and only the command reply is read. {@link #greetingOnly}: no
 *       command, for pool members and {@code mpgw check}.</li>
 *   <li>On success, early data that arrived meanwhile is written and flushed, {@code result} succeeds with the
 *       channel, and then the decoders and this handler leave the pipeline: bytes the server sent after the
 *       reply are passed to the next handler (the relay), as payload for the client.</li>
 *   <li>On a non-zero reply, an auth failure, bad bytes, a close or the timeout, {@code result} fails with a
 *       {@link Socks5HandshakeException} and the channel is closed.</li>
 * </ul>
 *
 * <p>Threading: the channel's event loop. Reads are requested here, so the upstream may run with auto-read off.
 */
public final class Socks5ClientHandshake extends ChannelInboundHandlerAdapter {
    /** BND.ADDR:BND.PORT of a successful reply (UDP ASSOCIATE: where to send datagrams), set on the channel. */
    public static final AttributeKey<InetSocketAddress> BOUND_ADDRESS =
            AttributeKey.valueOf(Socks5ClientHandshake.class, "boundAddress");

    /** What the connection has seen before this handler starts. */
    public enum Opening {
        /** nothing: the whole opening is written at the start */ FRESH,
        /** {@link Socks5Requests#opening} was queued before connect (fast open) */ REQUEST_SENT,
        /** greeting (and authentication) done: a warm pool member; the command request comes next */ GREETED
    }

    private final Socks5ReplyCheck check;
    private final InetSocketAddress destination;
    private final Socks5ClientSettings settings;
    private final EarlyData earlyData;
    private final Promise<Channel> result;
    private final Socks5CommandType command;
    private final Opening opening;
    private List<ChannelHandler> decoders = List.of();
    private boolean started;
    private long startNanos;
    private Future<?> timeout;
    private Runnable lateReply;
    private Future<?> lateReplyTimer;

    /** A CONNECT on a fresh connection. */
    public Socks5ClientHandshake(InetSocketAddress proxy, InetSocketAddress destination,
                                 Socks5ClientSettings settings, EarlyData earlyData, Promise<Channel> result) {
        this(proxy, destination, settings, earlyData, result, Socks5CommandType.CONNECT, Opening.FRESH);
    }

    /** The same handshake for another command: UDP ASSOCIATE or {@link Socks5Requests#FWD_UDP}. */
    public Socks5ClientHandshake(InetSocketAddress proxy, InetSocketAddress destination,
                                 Socks5ClientSettings settings, EarlyData earlyData, Promise<Channel> result,
                                 Socks5CommandType command) {
        this(proxy, destination, settings, earlyData, result, command, Opening.FRESH);
    }

    /**
     * @param proxy       the socks-server this channel is connected to (named in failure messages)
     * @param destination DST.ADDR:DST.PORT of the command
     * @param command     the command, or null for a greeting-only handshake
     */
    public Socks5ClientHandshake(InetSocketAddress proxy, InetSocketAddress destination,
                                 Socks5ClientSettings settings, EarlyData earlyData, Promise<Channel> result,
                                 Socks5CommandType command, Opening opening) {
        this.check = new Socks5ReplyCheck(proxy, destination, settings, command, opening);
        this.destination = destination;
        this.settings = settings;
        this.earlyData = earlyData;
        this.result = result;
        this.command = command;
        this.opening = opening;
    }

    /**
     * Greeting and authentication only; {@code result} succeeds once the server accepted them.
     *
     * @param opening {@link Opening#REQUEST_SENT} when {@link Socks5Requests#opening} went out with the connect
     */
    public static Socks5ClientHandshake greetingOnly(InetSocketAddress proxy, Socks5ClientSettings settings,
                                                     Opening opening, Promise<Channel> result) {
        return new Socks5ClientHandshake(proxy, null, settings, EarlyData.NONE, result, null, opening);
    }

    /**
     * With {@code pipelined = auto}: calls {@code listener} once when the server answered the method selection
     * (and authentication) but not the pipelined command request within {@link LateReplyBound}; the handshake
     * goes on waiting. Call before the handler is added.
     */
    public Socks5ClientHandshake onLateCommandReply(Runnable listener) {
        this.lateReply = settings.adaptive() && settings.pipelined() && command != null ? listener : null;
        return this;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        decoders = check.decoders();
        for (ChannelHandler d : decoders) {
            ctx.pipeline().addBefore(ctx.name(), null, d);
        }
        if (ctx.channel().isActive()) {
            start(ctx);
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        start(ctx);
        ctx.fireChannelActive();
    }

    private void start(ChannelHandlerContext ctx) {
        if (started) {
            return;
        }
        started = true;
        startNanos = System.nanoTime();
        long millis = settings.handshakeTimeout().toMillis();
        timeout = ctx.executor().schedule(() -> fail(ctx, check.timeout(millis)), millis, TimeUnit.MILLISECONDS);
        ByteBuf out = switch (opening) {
            case FRESH -> Socks5Requests.opening(settings, command, destination, ctx.alloc());
            case REQUEST_SENT -> ctx.alloc().buffer(0);
            case GREETED -> Socks5Requests.encode(ctx.alloc(), Socks5Requests.command(command, destination));
        };
        boolean pipelinesEarlyData = settings.pipelined() && command != null;
        if (pipelinesEarlyData) {
            ByteBuf early = earlyData.take();
            try {
                out.writeBytes(early);
            } finally {
                early.release();
            }
        }
        if (out.isReadable()) {
            ctx.write(out);
        } else {
            out.release();
        }
        ctx.flush(); // also sends a fast-open request the kernel had no cookie for
        if (pipelinesEarlyData) {
            earlyData.onArrival(() -> forwardEarly(ctx));
        }
        if (opening == Opening.GREETED) {
            watchCommandReply(ctx, 0); // a warm member: its greeting was answered long ago
        }
        ctx.read();
    }

    /** The method (and auth) reply came {@code greetedAfterNanos} after the opening write: one round trip. */
    private void watchCommandReply(ChannelHandlerContext ctx, long greetedAfterNanos) {
        if (lateReply == null) {
            return;
        }
        long bound = LateReplyBound.nanos(greetedAfterNanos, ctx.channel());
        lateReplyTimer = ctx.executor().schedule(() -> {
            lateReplyTimer = null;
            if (!check.done()) {
                lateReply.run();
            }
        }, bound, TimeUnit.NANOSECONDS);
    }

    private void forwardEarly(ChannelHandlerContext ctx) {
        if (check.done() || !ctx.channel().isWritable() || earlyData.full()) {
            // The rest goes after the command reply; the early-data limits hold the client back meanwhile.
            return;
        }
        ByteBuf early = earlyData.take();
        if (early.isReadable()) {
            ctx.writeAndFlush(early);
        } else {
            early.release();
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof Socks5Message && check.done()) {
            // After a failure the decoders are still in place and decode what the same read brought (found by
            // Socks5ClientHandshakeFuzzTest: a refused login followed by more bytes passed a reply on): nothing of
            // a failed handshake goes on. Replies are not reference-counted.
            return;
        }
        if (!(msg instanceof Socks5Message reply)) {
            ctx.fireChannelRead(msg); // payload after the last reply, on its way to the next handler
            return;
        }
        Socks5HandshakeException failure = check.accept(reply);
        if (failure != null) {
            fail(ctx, failure);
            return;
        }
        switch (check.next()) {
            case SEND_CREDENTIALS -> ctx.writeAndFlush(Socks5Requests.encode(ctx.alloc(),
                    Socks5Requests.credentials(settings)));
            case SEND_COMMAND -> ctx.writeAndFlush(Socks5Requests.encode(ctx.alloc(),
                    Socks5Requests.command(command, destination)));
            case SUCCEEDED -> succeed(ctx, check.boundAddress());
            case WAIT -> {
                if (check.awaitsCommandReply() && opening != Opening.GREETED) {
                    watchCommandReply(ctx, System.nanoTime() - startNanos);
                }
            }
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (!check.done()) {
            ctx.read();
        }
        ctx.fireChannelReadComplete();
    }

    private void succeed(ChannelHandlerContext ctx, InetSocketAddress bound) {
        earlyData.onArrival(null);
        cancelTimeout();
        if (bound != null) {
            ctx.channel().attr(BOUND_ADDRESS).set(bound);
        }
        ByteBuf early = earlyData.take();
        if (early.isReadable()) {
            ctx.write(early);
        } else {
            early.release();
        }
        ctx.flush();
        if (result.trySuccess(ctx.channel())) {
            // Bytes the decoders still hold, or pass on after the reply, are the first payload for the client.
            ctx.pipeline().remove(this);
            for (ChannelHandler d : decoders) {
                ctx.pipeline().remove(d);
            }
        } else {
            ctx.close(); // the owner gave up (client gone) meanwhile
        }
    }

    private void fail(ChannelHandlerContext ctx, Socks5HandshakeException failure) {
        if (check.done()) {
            return;
        }
        check.end();
        earlyData.onArrival(null);
        cancelTimeout();
        result.tryFailure(failure);
        ctx.close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        fail(ctx, check.failure(Kind.CLOSED, "server closed the connection before the " + check.awaited()));
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        fail(ctx, check.failure(Kind.CLOSED, "error before the " + check.awaited() + ": " + cause.getMessage()));
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        cancelTimeout();
    }

    private void cancelTimeout() {
        if (timeout != null) {
            timeout.cancel(false);
            timeout = null;
        }
        if (lateReplyTimer != null) {
            lateReplyTimer.cancel(false);
            lateReplyTimer = null;
        }
    }
}
