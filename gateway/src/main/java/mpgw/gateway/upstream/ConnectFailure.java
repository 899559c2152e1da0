package mpgw.gateway.upstream;

import io.netty.channel.ConnectTimeoutException;
import java.net.NoRouteToHostException;

/**
 * Why a connect to a socks-server failed, in words for log lines and {@code mpgw check}. Netty's epoll transport
 * reports some kernel errors with a null message (ENETUNREACH becomes {@code "null: /10.1.0.2:1080"}); this names
 * them instead.
 */
public final class ConnectFailure {
    private ConnectFailure() {
    }

    public static String reason(Throwable cause, long connectTimeoutMillis) {
        if (cause instanceof ConnectTimeoutException) {
            return "no answer within " + connectTimeoutMillis + " ms";
        }
        if (cause instanceof NoRouteToHostException) {
            return "no route to host (network unreachable; is the link up?)";
        }
        String m = cause == null ? null : cause.getMessage();
        if (m == null || m.startsWith("null")) {
            return cause == null ? "unknown error" : cause.getClass().getSimpleName().replace("Annotated", "");
        }
        return m;
    }
}
