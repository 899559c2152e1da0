package mpgw.gateway.upstream.pool;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.util.concurrent.Future;
import java.util.List;
import java.util.concurrent.TimeUnit;
import mpgw.gateway.upstream.Socks5ClientSettings;
import mpgw.gateway.upstream.Socks5RequestWriter;

/**
 * The first half of a SOCKS5 handshake on a pool member: greeting and, with a username, RFC 1929 authentication
 * (pipelined when {@code socks.pipelined} is on). Then it stays while the member idles and watches it: a server
 * sends nothing before the CONNECT request, so any byte, EOF or error ends the member. Removed when the member is
 * handed out. Event-loop only.
 */
final class PoolGreeting extends ByteToMessageDecoder {
    private enum State { METHOD_REPLY, AUTH_REPLY, IDLE }

    private final Socks5ClientSettings socks;
    private final boolean requestSent;
    private final PoolMember member;
    private State state = State.METHOD_REPLY;
    private Future<?> timeout;

    /** @param requestSent {@link #request} went out with the connect (fast open) */
    PoolGreeting(Socks5ClientSettings socks, boolean requestSent, PoolMember member) {
        this.socks = socks;
        this.requestSent = requestSent;
        this.member = member;
    }

    /** What a member sends before the first reply: the greeting, plus the credentials when pipelined. */
    static ByteBuf request(Socks5ClientSettings socks, ByteBuf out) {
        Socks5RequestWriter.INSTANCE.greeting(socks.authenticates(), out);
        if (socks.authenticates() && socks.pipelined()) {
            Socks5RequestWriter.INSTANCE.credentials(socks.username(), socks.password(), out);
        }
        return out;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        long millis = socks.handshakeTimeout().toMillis();
        timeout = ctx.executor().schedule(() -> member.greetingFailed("greeting-timeout"), millis,
                TimeUnit.MILLISECONDS);
        if (!requestSent) {
            ctx.write(request(socks, ctx.alloc().buffer()));
        }
        ctx.flush(); // also sends a fast-open request the kernel had no cookie for
        ctx.read();
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (state == State.IDLE) {
            in.skipBytes(in.readableBytes());
            ctx.close(); // the pool notices the close
            return;
        }
        if (in.readableBytes() < 2) {
            return;
        }
        int version = in.readUnsignedByte();
        int code = in.readUnsignedByte();
        if (state == State.METHOD_REPLY) {
            int wanted = socks.authenticates() ? 0x02 : 0x00;
            if (version != 5 || code != wanted) {
                fail(in, "greeting-refused");
                return;
            }
            if (!socks.authenticates()) {
                idle(ctx);
                return;
            }
            state = State.AUTH_REPLY;
            if (!socks.pipelined()) {
                ByteBuf credentials = ctx.alloc().buffer();
                Socks5RequestWriter.INSTANCE.credentials(socks.username(), socks.password(), credentials);
                ctx.writeAndFlush(credentials);
            }
            decode(ctx, in, out);
        } else if (version != 1 || code != 0) {
            fail(in, "auth-refused");
        } else {
            idle(ctx);
        }
    }

    private void idle(ChannelHandlerContext ctx) {
        state = State.IDLE;
        cancelTimeout();
        member.greeted();
    }

    private void fail(ByteBuf in, String reason) {
        in.skipBytes(in.readableBytes());
        cancelTimeout();
        member.greetingFailed(reason);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
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
}
