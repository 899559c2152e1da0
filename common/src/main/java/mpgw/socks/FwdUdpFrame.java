package mpgw.socks;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.DefaultByteBufHolder;
import java.net.InetSocketAddress;

/**
 * One datagram carried inside a SOCKS5 stream after a FWD UDP (command 0x05) request, the
 * hev-socks5 "UDP in TCP" extension. Client to server the address is the destination; server to client
 * it is the source of the reply. On the wire (big-endian):
 *
 * <pre>
 * +---------+---------+------+----------+----------+---------+
 * | DAT.LEN | HDR.LEN | ATYP | ADDR     | PORT     | DATA    |
 * | 2       | 1       | 1    | 4/16/1+N | 2        | DAT.LEN |
 * +---------+---------+------+----------+----------+---------+
 * </pre>
 * HDR.LEN counts the whole header: 3 + the address field (ATYP, ADDR, PORT), i.e. 10 for IPv4,
 * 22 for IPv6, 7 + N for a domain of N bytes; as HDR.LEN is one byte, a domain has at most {@link #MAX_DOMAIN}
 * (248) bytes here, not the 255 of a SOCKS5 request.
 *
 * <p>Reference-counted through its payload: whoever takes a frame releases it once.
 */
public final class FwdUdpFrame extends DefaultByteBufHolder {
    /** Fixed part: DAT.LEN and HDR.LEN. */
    public static final int PREFIX_LENGTH = 3;
    public static final int MAX_PAYLOAD = 0xffff;
    /** HDR.LEN is one byte. */
    public static final int MAX_HEADER = 0xff;
    /** The longest domain whose header fits: 255 - 3 (prefix) - 1 (ATYP) - 1 (length) - 2 (port). */
    public static final int MAX_DOMAIN = MAX_HEADER - PREFIX_LENGTH - 1 - 1 - 2;

    private final InetSocketAddress address;

    public FwdUdpFrame(InetSocketAddress address, ByteBuf payload) {
        super(payload);
        this.address = address;
    }

    public InetSocketAddress address() {
        return address;
    }

    @Override
    public FwdUdpFrame replace(ByteBuf content) {
        return new FwdUdpFrame(address, content);
    }

    @Override
    public FwdUdpFrame retain() {
        super.retain();
        return this;
    }

    @Override
    public String toString() {
        return "FwdUdpFrame(" + address + ", " + content().readableBytes() + " bytes)";
    }
}
