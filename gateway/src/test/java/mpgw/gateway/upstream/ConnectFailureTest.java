package mpgw.gateway.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netty.channel.ConnectTimeoutException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import org.junit.jupiter.api.Test;

/** Connect failures in words, including the ones Netty reports with a null message. */
class ConnectFailureTest {
    @Test
    void namesTheFailure() {
        assertEquals("no answer within 5000 ms", ConnectFailure.reason(new ConnectTimeoutException("x"), 5000));
        assertEquals("no route to host (network unreachable; is the link up?)",
                ConnectFailure.reason(new NoRouteToHostException(), 5000));
        assertEquals("connect(..) failed: Connection refused: /10.1.1.2:1080",
                ConnectFailure.reason(new ConnectException("connect(..) failed: Connection refused: /10.1.1.2:1080"), 1));
        assertEquals("IllegalStateException", ConnectFailure.reason(new IllegalStateException("null: /10.1.1.2:1"), 1));
    }
}
