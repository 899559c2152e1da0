package mpgw.tls;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

/**
 * The listener filter in front of a server's {@code SslHandler}: looks at the first byte a client sends and, when
 * it is not 0x16 (a TLS handshake record, RFC 8446 §5.1), drops the bytes, fires {@link PlaintextRejected} (which
 * {@link HandshakeOutcomeHandler} reports as {@link HandshakeOutcome#PLAINTEXT_CLIENT}) and closes the connection.
 * When it is 0x16 it removes itself and passes the bytes on untouched. A plain SOCKS5 client (greeting 0x05) is
 * thus turned away before any TLS parsing and without an exception.
 *
 * <p>Stateless and {@link Sharable}: it reads one message per connection and is gone.
 */
@ChannelHandler.Sharable
public final class TlsRecordGuard extends ChannelInboundHandlerAdapter {
    public static final TlsRecordGuard INSTANCE = new TlsRecordGuard();
    private static final int HANDSHAKE_RECORD = 0x16;

    /** The user event fired when a client's first byte is not a TLS handshake record. */
    public record PlaintextRejected(int firstByte) {
        /** A description for the log: the byte and what it probably is; no other peer bytes. */
        public String description() {
            String guess = firstByte == 0x05 ? " (a SOCKS5 greeting: a client without TLS?)"
                    : firstByte == 0x04 ? " (SOCKS4?)"
                    : firstByte >= 'A' && firstByte <= 'Z' ? " (text such as HTTP?)" : "";
            return String.format("first byte 0x%02x is not a TLS handshake record%s", firstByte, guess);
        }
    }

    private TlsRecordGuard() {
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf buf)) {
            ctx.fireChannelRead(msg);
            return;
        }
        if (!buf.isReadable()) {
            buf.release();
            if (!ctx.channel().config().isAutoRead()) {
                ctx.read();
            }
            return;
        }
        int first = buf.getUnsignedByte(buf.readerIndex());
        if (first == HANDSHAKE_RECORD) {
            ctx.pipeline().remove(this);
            ctx.fireChannelRead(buf);
            return;
        }
        buf.release();
        ctx.fireUserEventTriggered(new PlaintextRejected(first));
        ctx.close();
    }
}
