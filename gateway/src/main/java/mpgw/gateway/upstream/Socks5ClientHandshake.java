package mpgw.gateway.upstream;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.socksx.v5.Socks5CommandStatus;
import io.netty.handler.codec.socksx.v5.Socks5CommandType;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.net.InetSocketAddress;
import mpgw.config.Addresses;
import mpgw.socks.Socks5Addresses;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The client side of a SOCKS5 CONNECT (<a href="https://www.rfc-editor.org/rfc/rfc1928">RFC 1928</a>, with
 * <a href="https://www.rfc-editor.org/rfc/rfc1929">RFC 1929</a> username/password), on the upstream channel.
 *
 * <p>Contract:
 * <ul>
 *   <li>Pipelined: greeting, credentials, CONNECT request and the early data buffered so far leave in one write;
 *       the replies are then read in order, whether they arrive byte by byte or in one segment. Client bytes
 *       that arrive before the CONNECT reply follow the request at once while the channel is writable (the server
 *       reads them as payload after the request), so they need not wait for the reply.
 *       Step by step: each message is sent after the previous reply, early data only after the CONNECT reply.</li>
 *   <li>{@link Opening}: when the request was already written before connect (fast open, the bytes of
 *       {@link #request}), only the early data is written at the start; on a pooled connection whose greeting is
 *       done, the command request and early data are, and only the command reply is read.</li>
 *   <li>On a successful CONNECT reply, early data that arrived meanwhile is written and flushed, {@code result}
 *       succeeds with the channel, and then this handler removes itself: bytes the server sent after the reply
 *       are passed to the next handler (the relay), as payload for the client.</li>
 *   <li>On a non-zero reply, an auth failure, bad bytes, a close or the timeout, {@code result} fails with a
 *       {@link Socks5HandshakeException} and the channel is closed.</li>
 * </ul>
 *
 * <p>Threading: the channel's event loop. Reads are requested here, so the upstream may run with auto-read off.
 */
public final class Socks5ClientHandshake extends ByteToMessageDecoder {
    /** BND.ADDR:BND.PORT of a successful reply (UDP ASSOCIATE: where to send datagrams), set on the channel. */
    public static final AttributeKey<InetSocketAddress> BOUND_ADDRESS =
            AttributeKey.valueOf(Socks5ClientHandshake.class, "boundAddress");
    private enum State { METHOD_REPLY, AUTH_REPLY, CONNECT_REPLY, DONE }

    /** What the connection has seen before this handler starts. */
    public enum Opening {
        /** nothing: the whole request is written at the start */
        FRESH,
        /** {@link #request} was queued before connect (fast open) */
        REQUEST_SENT,
        /** greeting (and authentication) done, e.g. a warm pool member: the command request comes next */
        GREETED
    }

    private static final int VERSION = 5;
    private static final int AUTH_VERSION = 1;
    private static final int NO_AUTH = 0x00;
    private static final int PASSWORD = 0x02;
    private static final int NO_ACCEPTABLE_METHOD = 0xFF;

    private final InetSocketAddress proxy;
    private final InetSocketAddress destination;
    private final Socks5ClientSettings settings;
    private final EarlyData earlyData;
    private final Promise<Channel> result;
    private final Socks5CommandType command;
    private final Opening opening;
    private State state = State.METHOD_REPLY;
    private boolean started;
    private Future<?> timeout;

    /**
     * @param proxy       the socks-server this channel is connected to (named in failure messages)
     * @param destination the CONNECT target
     * @param result      succeeds with the channel once the CONNECT reply is 0; fails otherwise
     */
    public Socks5ClientHandshake(InetSocketAddress proxy, InetSocketAddress destination,
                                 Socks5ClientSettings settings, EarlyData earlyData, Promise<Channel> result) {
        this(proxy, destination, settings, earlyData, result, Socks5CommandType.CONNECT, Opening.FRESH);
    }

    /** The same handshake for another command: UDP ASSOCIATE (0x03) or FWD UDP (0x05). */
    public Socks5ClientHandshake(InetSocketAddress proxy, InetSocketAddress destination,
                                 Socks5ClientSettings settings, EarlyData earlyData, Promise<Channel> result,
                                 Socks5CommandType command) {
        this(proxy, destination, settings, earlyData, result, command, Opening.FRESH);
    }

    public Socks5ClientHandshake(InetSocketAddress proxy, InetSocketAddress destination,
                                 Socks5ClientSettings settings, EarlyData earlyData, Promise<Channel> result,
                                 Socks5CommandType command, Opening opening) {
        this.command = command;
        this.opening = opening;
        if (opening == Opening.GREETED) {
            state = State.CONNECT_REPLY;
        }
        this.proxy = proxy;
        this.destination = destination;
        this.settings = settings;
        this.earlyData = earlyData;
        this.result = result;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        if (ctx.channel().isActive()) {
            start(ctx);
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        start(ctx);
        super.channelActive(ctx);
    }

    private void start(ChannelHandlerContext ctx) {
        if (started) {
            return;
        }
        started = true;
        long millis = settings.handshakeTimeout().toMillis();
        timeout = ctx.executor().schedule(() -> fail(ctx, "timeout after " + millis + " ms waiting for the "
                + describe(state), Socks5HandshakeException.NO_REPLY, true), millis, TimeUnit.MILLISECONDS);
        ByteBuf out = switch (opening) {
            case FRESH -> request(settings, command, destination, ctx.alloc().buffer());
            case REQUEST_SENT -> ctx.alloc().buffer();
            case GREETED -> {
                ByteBuf request = ctx.alloc().buffer();
                Socks5RequestWriter.INSTANCE.request(command, destination, request);
                yield request;
            }
        };
        if (settings.pipelined()) {
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
        if (settings.pipelined()) {
            earlyData.onArrival(() -> forwardEarly(ctx));
        }
        ctx.read();
    }

    private void forwardEarly(ChannelHandlerContext ctx) {
        if (state == State.DONE || !ctx.channel().isWritable()) {
            return; // the rest goes after the CONNECT reply; the early-data limit holds the client back meanwhile
        }
        ByteBuf early = earlyData.take();
        if (early.isReadable()) {
            ctx.writeAndFlush(early);
        } else {
            early.release();
        }
    }

    /**
     * Appends to {@code out} what the client sends before the first reply: the greeting, and when pipelined the
     * credentials and the command request too. Returns {@code out}.
     */
    public static ByteBuf request(Socks5ClientSettings settings, Socks5CommandType command,
                                  InetSocketAddress destination, ByteBuf out) {
        Socks5RequestWriter.INSTANCE.greeting(settings.authenticates(), out);
        if (settings.pipelined()) {
            if (settings.authenticates()) {
                Socks5RequestWriter.INSTANCE.credentials(settings.username(), settings.password(), out);
            }
            Socks5RequestWriter.INSTANCE.request(command, destination, out);
        }
        return out;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        while (state != State.DONE && in.isReadable()) {
            boolean progressed = switch (state) {
                case METHOD_REPLY -> methodReply(ctx, in);
                case AUTH_REPLY -> authReply(ctx, in);
                case CONNECT_REPLY -> connectReply(ctx, in);
                case DONE -> false;
            };
            if (!progressed) {
                return;
            }
        }
    }

    private boolean methodReply(ChannelHandlerContext ctx, ByteBuf in) {
        if (in.readableBytes() < 2) {
            return false;
        }
        int version = in.readUnsignedByte();
        int method = in.readUnsignedByte();
        int wanted = settings.authenticates() ? PASSWORD : NO_AUTH;
        if (version != VERSION) {
            return protocolError(ctx, in, "method reply has version " + version);
        }
        if (method == NO_ACCEPTABLE_METHOD) {
            return protocolError(ctx, in, "server accepts none of the offered auth methods (offered 0x0"
                    + wanted + ")");
        }
        if (method != wanted) {
            return protocolError(ctx, in, "server chose auth method 0x" + Integer.toHexString(method)
                    + ", offered only 0x0" + wanted);
        }
        if (settings.authenticates()) {
            state = State.AUTH_REPLY;
            if (!settings.pipelined()) {
                ByteBuf msg = ctx.alloc().buffer();
                Socks5RequestWriter.INSTANCE.credentials(settings.username(), settings.password(), msg);
                ctx.writeAndFlush(msg);
            }
        } else {
            sendConnectIfStepwise(ctx);
        }
        return true;
    }

    private boolean authReply(ChannelHandlerContext ctx, ByteBuf in) {
        if (in.readableBytes() < 2) {
            return false;
        }
        int version = in.readUnsignedByte();
        int status = in.readUnsignedByte();
        if (version != AUTH_VERSION) {
            return protocolError(ctx, in, "auth reply has version " + version);
        }
        if (status != 0) {
            return protocolError(ctx, in, "authentication failed for user '" + settings.username()
                    + "' (status 0x" + Integer.toHexString(status) + ")");
        }
        sendConnectIfStepwise(ctx);
        return true;
    }

    private void sendConnectIfStepwise(ChannelHandlerContext ctx) {
        state = State.CONNECT_REPLY;
        if (!settings.pipelined()) {
            ByteBuf msg = ctx.alloc().buffer();
            Socks5RequestWriter.INSTANCE.request(command, destination, msg);
            ctx.writeAndFlush(msg);
        }
    }

    /** VER REP RSV ATYP BND.ADDR BND.PORT; taken only once complete. */
    private boolean connectReply(ChannelHandlerContext ctx, ByteBuf in) {
        if (in.readableBytes() < 5) {
            return false;
        }
        int start = in.readerIndex();
        int version = in.getUnsignedByte(start);
        int reply = in.getUnsignedByte(start + 1);
        int atyp = in.getUnsignedByte(start + 3);
        int addressLength = switch (atyp) {
            case 0x01 -> 4;
            case 0x04 -> 16;
            case 0x03 -> 1 + in.getUnsignedByte(start + 4);
            default -> -1;
        };
        if (version != VERSION) {
            return protocolError(ctx, in, "CONNECT reply has version " + version);
        }
        if (addressLength < 0) {
            return protocolError(ctx, in, "CONNECT reply has address type " + atyp);
        }
        int length = 4 + addressLength + 2;
        if (in.readableBytes() < length) {
            return false;
        }
        if (reply == 0) {
            in.skipBytes(3);
            ctx.channel().attr(BOUND_ADDRESS).set(Socks5Addresses.read(in));
        } else {
            in.skipBytes(length);
        }
        if (reply != 0) {
            fail(ctx, "status=" + Socks5CommandStatus.valueOf((byte) reply) + " (reply 0x"
                    + String.format("%02x", reply) + ")", reply, false);
            in.skipBytes(in.readableBytes());
            return false;
        }
        succeed(ctx);
        return true;
    }

    private void succeed(ChannelHandlerContext ctx) {
        state = State.DONE;
        earlyData.onArrival(null);
        cancelTimeout();
        ByteBuf early = earlyData.take();
        if (early.isReadable()) {
            ctx.write(early);
        } else {
            early.release();
        }
        ctx.flush();
        if (result.trySuccess(ctx.channel())) {
            // Bytes still in the cumulation are the first payload for the client; removal passes them on.
            ctx.pipeline().remove(this);
        } else {
            ctx.close(); // the owner gave up (client gone) meanwhile
        }
    }

    private boolean protocolError(ChannelHandlerContext ctx, ByteBuf in, String what) {
        in.skipBytes(in.readableBytes());
        fail(ctx, what, Socks5HandshakeException.NO_REPLY, false);
        return false;
    }

    private void fail(ChannelHandlerContext ctx, String what, int replyCode, boolean isTimeout) {
        if (state == State.DONE) {
            return;
        }
        state = State.DONE;
        earlyData.onArrival(null);
        cancelTimeout();
        result.tryFailure(new Socks5HandshakeException("socks5 proxy=" + Addresses.format(proxy) + " dest="
                + Addresses.format(destination) + " " + what, replyCode, isTimeout));
        ctx.close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        fail(ctx, "server closed the connection before the " + describe(state), Socks5HandshakeException.NO_REPLY,
                false);
        super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        fail(ctx, "error before the " + describe(state) + ": " + cause.getMessage(),
                Socks5HandshakeException.NO_REPLY, false);
    }

    @Override
    protected void handlerRemoved0(ChannelHandlerContext ctx) {
        cancelTimeout();
    }

    private void cancelTimeout() {
        if (timeout != null) {
            timeout.cancel(false);
            timeout = null;
        }
    }

    private static String describe(State state) {
        return switch (state) {
            case METHOD_REPLY -> "method reply";
            case AUTH_REPLY -> "auth reply";
            case CONNECT_REPLY, DONE -> "CONNECT reply";
        };
    }
}
