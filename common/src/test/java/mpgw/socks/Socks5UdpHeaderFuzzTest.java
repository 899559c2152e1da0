package mpgw.socks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.CorruptedFrameException;
import java.net.InetSocketAddress;

/**
 * Fuzz target for the UDP ASSOCIATE datagram header (RFC 1928 §7), which the server reads from every client datagram
 * and the gateway's {@code UdpAssociateCarrier} from every reply: one datagram of any bytes.
 *
 * <p>Invariants: only {@link CorruptedFrameException} or {@link Socks5AddressException}; on success the reader
 * index stands right after the address field, FRAG and port are the bytes sent, and writing the address again and
 * reading it back gives the same address. Regression inputs: {@code Socks5UdpHeaderFuzzTestInputs/readHeader/}.
 */
class Socks5UdpHeaderFuzzTest {
    @FuzzTest
    void readHeader(byte[] datagram) {
        ByteBuf packet = Unpooled.wrappedBuffer(datagram);
        Socks5UdpHeader header;
        try {
            header = Socks5UdpHeader.read(packet);
        } catch (CorruptedFrameException | Socks5AddressException e) {
            return;
        }
        int fieldLength = Socks5Addresses.encodedLength(Unpooled.wrappedBuffer(datagram), 3);
        assertTrue(fieldLength > 0);
        assertEquals(3 + fieldLength, packet.readerIndex(), "DATA starts right after the address field");
        assertEquals(datagram[2] & 0xff, header.fragment());
        int portAt = 3 + fieldLength - 2;
        int port = ((datagram[portAt] & 0xff) << 8) | (datagram[portAt + 1] & 0xff);
        assertEquals(port, header.address().getPort());

        InetSocketAddress address = header.address();
        if (address.isUnresolved() && address.getHostString().length() > 255) {
            return;
        }
        ByteBuf again = Unpooled.buffer(Socks5UdpHeader.encodedLength(address));
        Socks5UdpHeader.write(address, again);
        assertEquals(Socks5UdpHeader.encodedLength(address), again.readableBytes());
        assertEquals(new Socks5UdpHeader(0, address), Socks5UdpHeader.read(again));
    }
}
