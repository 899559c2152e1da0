package mpgw.gateway.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.handler.codec.socksx.v5.Socks5CommandType;
import java.net.InetSocketAddress;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The bytes of each request, as codec-socks' encoder writes them, in one buffer. */
class Socks5RequestsTest {
    private static final InetSocketAddress V4 = new InetSocketAddress("192.168.80.2", 7000);
    private static final InetSocketAddress V6 = new InetSocketAddress("2001:db8::2", 443);

    private static Socks5ClientSettings settings(String user, boolean pipelined) {
        return new Socks5ClientSettings(user, "pw", pipelined, Duration.ofSeconds(1), 1024);
    }

    private static String hex(ByteBuf b) {
        try {
            return ByteBufUtil.hexDump(b);
        } finally {
            b.release();
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "no auth pipelined CONNECT v4,  ,   true,  1, v4, 050100 050100 01 c0a85002 1b58",
        "login pipelined CONNECT v4,    gw, true,  1, v4, 050102 0102 6777 02 7077 050100 01 c0a85002 1b58",
        "login step by step,            gw, false, 1, v4, 050102",
        "no auth UDP ASSOCIATE v6,      ,   true,  3, v6, 050100 050300 04 20010db8000000000000000000000002 01bb",
        "FWD UDP v4,                    ,   true,  5, v4, 050100 050500 01 c0a85002 1b58",
        "greeting only with login,      gw, true,  0, v4, 050102 0102 6777 02 7077",
    })
    void openingIsEverythingBeforeTheFirstReply(String what, String user, boolean pipelined, int command,
                                                String family, String expected) {
        Socks5CommandType type = command == 0 ? null : Socks5CommandType.valueOf((byte) command);
        assertEquals(expected.replace(" ", ""), hex(Socks5Requests.opening(settings(user, pipelined), type,
                family.equals("v4") ? V4 : V6, UnpooledByteBufAllocator.DEFAULT)), what);
    }

    @Test
    void aFieldTooLongToEncodeFailsAndTheNextRequestIsWhole() {
        Socks5ClientSettings tooLong = settings("u".repeat(300), true);
        assertThrows(IllegalArgumentException.class, () -> Socks5Requests.opening(tooLong, Socks5CommandType.CONNECT,
                V4, UnpooledByteBufAllocator.DEFAULT));
        assertEquals("050100", hex(Socks5Requests.opening(settings(null, false), Socks5CommandType.CONNECT, V4,
                UnpooledByteBufAllocator.DEFAULT)));
    }
}
