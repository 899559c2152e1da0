package mpgw.socks;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.CorruptedFrameException;
import java.net.InetSocketAddress;

/**
 * The header in front of every UDP ASSOCIATE datagram (RFC 1928 §7):
 * {@code RSV(2) FRAG(1) ATYP DST.ADDR DST.PORT DATA}. Stateless and thread-safe.
 *
 * @param fragment FRAG; anything but 0 is a fragment, which servers usually drop
 * @param address  destination (client to server) or source (server to client)
 * @see <a href="https://www.rfc-editor.org/rfc/rfc1928#section-7">RFC 1928 §7</a>
 */
public record Socks5UdpHeader(int fragment, InetSocketAddress address) {
    /** Reads the header and leaves the reader index at DATA. */
    public static Socks5UdpHeader read(ByteBuf packet) {
        if (packet.readableBytes() < 4) {
            throw new CorruptedFrameException("SOCKS5 UDP packet of " + packet.readableBytes() + " bytes");
        }
        int start = packet.readerIndex();
        int fragment = packet.getUnsignedByte(start + 2);
        int len = Socks5Addresses.encodedLength(packet, start + 3);
        if (len == Socks5Addresses.INCOMPLETE) {
            throw new CorruptedFrameException("truncated SOCKS5 UDP header");
        }
        packet.skipBytes(3);
        return new Socks5UdpHeader(fragment, Socks5Addresses.read(packet));
    }

    /** Writes an unfragmented header for {@code address}. */
    public static void write(InetSocketAddress address, ByteBuf out) {
        out.writeShort(0).writeByte(0);
        Socks5Addresses.write(address, out);
    }

    public static int encodedLength(InetSocketAddress address) {
        return 3 + Socks5Addresses.encodedLength(address);
    }
}
