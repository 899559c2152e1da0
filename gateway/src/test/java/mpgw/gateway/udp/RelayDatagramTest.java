package mpgw.gateway.udp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.net.InetSocketAddress;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** What the associate carrier makes of datagrams from the relay: RSV RSV FRAG ATYP ADDR PORT DATA. */
class RelayDatagramTest {
    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "ipv4 source,             0000 00 01 c0000201 0035 abcd,                         192.0.2.1:53, ",
        "ipv6 source,             0000 00 04 20010db8000000000000000000000001 0035 ab,    [2001:db8::1]:53, ",
        "fragment,                0000 01 01 c0000201 0035 abcd,                          , FRAGMENT",
        "unknown address type,    0000 00 07 c0000201 0035 abcd,                          , MALFORMED",
        "truncated address,       0000 00 01 c000,                                        , MALFORMED",
        "shorter than any header, 0000 00,                                                , MALFORMED",
        "domain instead of an IP, 0000 00 03 04 74657374 0035 ab,                          , MALFORMED",
    })
    void readsTheSourceOrNamesTheDrop(String name, String hex, String source, UdpDrop drop) {
        ByteBuf in = Unpooled.wrappedBuffer(ByteBufUtil.decodeHexDump(hex.replace(" ", "")));
        try {
            UdpAssociateCarrier.RelayDatagram d = UdpAssociateCarrier.RelayDatagram.read(in);
            assertEquals(drop, d.drop());
            if (source == null) {
                assertNull(d.source());
            } else {
                int colon = source.lastIndexOf(':');
                assertEquals(new InetSocketAddress(source.substring(0, colon).replace("[", "").replace("]", ""),
                        Integer.parseInt(source.substring(colon + 1))), d.source());
                assertEquals(true, in.isReadable(), "the reader index stops at the payload");
            }
        } finally {
            in.release();
        }
    }
}
