package mpgw.gateway.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Only one attempt of a race gets the client's bytes in its SYN; the winner sends whatever it was not given. */
class SynPayloadTest {
    private static ByteBuf bytes(String s) {
        return Unpooled.copiedBuffer(s, StandardCharsets.US_ASCII);
    }

    private static String drain(ByteBuf b) {
        try {
            return b.toString(StandardCharsets.US_ASCII);
        } finally {
            b.release();
        }
    }

    @Test
    void theFirstAttemptCarriesThePayloadAndNeedsNothingMore() {
        EmbeddedChannel first = new EmbeddedChannel();
        EmbeddedChannel second = new EmbeddedChannel();
        SynPayload p = new SynPayload(() -> bytes("REQ"), bytes("hello"));
        assertEquals("REQhello", drain(p.apply(first)));
        assertEquals("REQ", drain(p.apply(second)));
        assertEquals("", drain(p.unsentOn(first)));
    }

    @Test
    void anotherWinnerGetsThePayloadToSendAfterTheRequest() {
        EmbeddedChannel first = new EmbeddedChannel();
        EmbeddedChannel second = new EmbeddedChannel();
        SynPayload p = new SynPayload(() -> bytes("REQ"), bytes("hello"));
        drain(p.apply(first));
        assertEquals("REQ", drain(p.apply(second)));
        assertEquals("hello", drain(p.unsentOn(second)));
    }

    @Test
    void releaseFreesAPayloadNobodyTook() {
        ByteBuf payload = bytes("hello");
        SynPayload p = new SynPayload(() -> bytes("REQ"), payload);
        p.release();
        assertEquals(0, payload.refCnt());
        assertEquals("", drain(p.unsentOn(new EmbeddedChannel())));
    }

    @Test
    void anEmptyPayloadIsNotCarried() {
        EmbeddedChannel first = new EmbeddedChannel();
        SynPayload p = new SynPayload(() -> bytes("REQ"), Unpooled.EMPTY_BUFFER);
        assertEquals("REQ", drain(p.apply(first)));
        assertEquals("", drain(p.unsentOn(first)));
    }
}
