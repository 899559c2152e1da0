package mpgw.socks;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.CorruptedFrameException;
import java.net.InetSocketAddress;
import java.util.List;

/**
 * Splits a FWD UDP stream into {@link FwdUdpFrame}s (format in {@link FwdUdpFrame}). Partial frames
 * wait for more bytes; a header whose HDR.LEN disagrees with its address field, or an unknown ATYP,
 * is a {@link CorruptedFrameException} (or {@link Socks5AddressException}) and the rest of the stream is
 * discarded, because framing is lost. One instance per channel.
 */
public final class FwdUdpFrameDecoder extends ByteToMessageDecoder {
    private boolean corrupted;

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (corrupted) {
            in.skipBytes(in.readableBytes());
            return;
        }
        while (in.readableBytes() >= FwdUdpFrame.PREFIX_LENGTH + 1) {
            int start = in.readerIndex();
            int dataLength = in.getUnsignedShort(start);
            int headerLength = in.getUnsignedByte(start + 2);
            int addressLength;
            try {
                addressLength = Socks5Addresses.encodedLength(in, start + FwdUdpFrame.PREFIX_LENGTH);
            } catch (Socks5AddressException e) {
                corrupted = true;
                in.skipBytes(in.readableBytes());
                throw e;
            }
            if (addressLength == Socks5Addresses.INCOMPLETE) {
                return;
            }
            if (headerLength != FwdUdpFrame.PREFIX_LENGTH + addressLength) {
                corrupted = true;
                in.skipBytes(in.readableBytes());
                throw new CorruptedFrameException("FWD UDP header length " + headerLength + " but address field of "
                        + addressLength + " bytes");
            }
            if (in.readableBytes() < headerLength + dataLength) {
                return;
            }
            in.skipBytes(FwdUdpFrame.PREFIX_LENGTH);
            InetSocketAddress address = Socks5Addresses.read(in);
            out.add(new FwdUdpFrame(address, in.readRetainedSlice(dataLength)));
        }
    }
}
