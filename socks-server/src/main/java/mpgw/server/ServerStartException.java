package mpgw.server;

import mpgw.daemon.DaemonStartException;

/** The socks-server could not start (a listen address in use, MPTCP required but refused); the message says why. */
public final class ServerStartException extends DaemonStartException {
    ServerStartException(String message, Throwable cause) {
        super(message, cause);
    }
}
