package mpgw.server;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.socksx.v5.Socks5CommandStatus;
import java.util.List;
import mpgw.socks.Socks5AddressException;
import mpgw.socks.Socks5Addresses;

/**
 * Decodes the SOCKS5 request {@code VER CMD RSV ATYP DST.ADDR DST.PORT} (RFC 1928 §4) into one
 * {@link SocksRequest}, then passes every later byte on unchanged as {@link ByteBuf}s: a client may
 * pipeline its first payload behind the request, and those bytes belong to the destination.
 *
 * <p>Waits for partial input (one byte per segment is fine). A wrong version becomes a request with error
 * {@code FAILURE}, so does a reserved byte other than 0 (RFC 1928: RSV is X'00'), an unknown ATYP one with {@code ADDRESS_UNSUPPORTED}; after an error the rest of the input
 * is discarded. The command byte is not judged here. One instance per channel.
 */
final class CommandRequestDecoder extends ByteToMessageDecoder {
    private enum State { REQUEST, PASS_THROUGH, DISCARD }

    private State state = State.REQUEST;

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        switch (state) {
            case REQUEST:
                decodeRequest(in, out);
                break;
            case PASS_THROUGH:
                if (in.isReadable()) {
                    out.add(in.readRetainedSlice(in.readableBytes()));
                }
                break;
            default:
                in.skipBytes(in.readableBytes());
        }
    }

    private void decodeRequest(ByteBuf in, List<Object> out) {
        int start = in.readerIndex();
        if (in.readableBytes() < 1) {
            return;
        }
        int version = in.getUnsignedByte(start);
        if (version != 5) {
            fail(in, out, Socks5CommandStatus.FAILURE, "request version " + version);
            return;
        }
        if (in.readableBytes() < 4) {
            return;
        }
        int command = in.getUnsignedByte(start + 1);
        int reserved = in.getUnsignedByte(start + 2);
        if (reserved != 0) {
            fail(in, out, Socks5CommandStatus.FAILURE, "reserved byte 0x" + Integer.toHexString(reserved));
            return;
        }
        int addressLength;
        try {
            addressLength = Socks5Addresses.encodedLength(in, start + 3);
        } catch (Socks5AddressException e) {
            fail(in, out, Socks5CommandStatus.ADDRESS_UNSUPPORTED, e.getMessage());
            return;
        }
        if (addressLength == Socks5Addresses.INCOMPLETE) {
            return;
        }
        in.skipBytes(3);
        out.add(SocksRequest.ok(command, Socks5Addresses.read(in)));
        state = State.PASS_THROUGH;
        if (in.isReadable()) {
            out.add(in.readRetainedSlice(in.readableBytes()));
        }
    }

    private void fail(ByteBuf in, List<Object> out, Socks5CommandStatus status, String detail) {
        state = State.DISCARD;
        in.skipBytes(in.readableBytes());
        out.add(SocksRequest.failed(status, detail));
    }
}
