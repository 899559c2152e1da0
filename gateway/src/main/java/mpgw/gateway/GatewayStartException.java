package mpgw.gateway;

import mpgw.daemon.DaemonStartException;

/** The gateway could not start (a listen address in use, no permission); the message says which and why. */
public final class GatewayStartException extends DaemonStartException {
    public GatewayStartException(String message, Throwable cause) {
        super(message, cause);
    }
}
