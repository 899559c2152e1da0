package mpgw.socks;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.EncoderException;
import io.netty.handler.codec.MessageToByteEncoder;

/** Writes {@link FwdUdpFrame}s in the format documented there. Stateless; share one instance. */
@ChannelHandler.Sharable
public final class FwdUdpFrameEncoder extends MessageToByteEncoder<FwdUdpFrame> {
    public static final FwdUdpFrameEncoder INSTANCE = new FwdUdpFrameEncoder();

    private FwdUdpFrameEncoder() {
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, FwdUdpFrame frame, ByteBuf out) {
        write(frame, out);
    }

    /**
     * Appends {@code frame} to {@code out} without releasing it: for frames that leave in one write with other
     * bytes (the gateway's first datagram behind its FWD UDP request).
     *
     * @throws EncoderException when the payload or the header is too long for its length field
     */
    public static void write(FwdUdpFrame frame, ByteBuf out) {
        ByteBuf payload = frame.content();
        if (payload.readableBytes() > FwdUdpFrame.MAX_PAYLOAD) {
            throw new EncoderException("FWD UDP payload of " + payload.readableBytes() + " bytes exceeds 65535");
        }
        int headerLength = FwdUdpFrame.PREFIX_LENGTH + Socks5Addresses.encodedLength(frame.address());
        if (headerLength > FwdUdpFrame.MAX_HEADER) {
            // HDR.LEN is one byte: a longer header would be written truncated and corrupt the whole stream.
            throw new EncoderException("FWD UDP header of " + headerLength + " bytes exceeds " + FwdUdpFrame.MAX_HEADER
                    + " (a domain longer than " + FwdUdpFrame.MAX_DOMAIN + " bytes)");
        }
        out.writeShort(payload.readableBytes());
        out.writeByte(headerLength);
        Socks5Addresses.write(frame.address(), out);
        out.writeBytes(payload, payload.readerIndex(), payload.readableBytes());
    }

    /** Bytes {@code frame} takes on the stream. */
    public static int encodedLength(FwdUdpFrame frame) {
        return FwdUdpFrame.PREFIX_LENGTH + Socks5Addresses.encodedLength(frame.address())
                + frame.content().readableBytes();
    }

    @Override
    protected ByteBuf allocateBuffer(ChannelHandlerContext ctx, FwdUdpFrame frame, boolean preferDirect) {
        int size = encodedLength(frame);
        return preferDirect ? ctx.alloc().ioBuffer(size) : ctx.alloc().heapBuffer(size);
    }
}
