package mpgw.gateway.upstream;

import java.io.IOException;

/** No socks-server address accepted the upstream connection; the message lists each address and why. */
public final class UpstreamConnectException extends IOException {
    UpstreamConnectException(String message) {
        super(message);
    }
}
