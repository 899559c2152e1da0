package mpgw.gateway.upstream;

import mpgw.relay.Relay;

/**
 * The names of the upstream channel's pipeline slots (the MPTCP connection to the socks-server, on the
 * downstream channel's event loop). The pipeline changes by phase:
 *
 * <pre>
 * setup:    [codec-socks reply decoders] -> socks5-handshake
 * pooled:   pool-idle-watch                       (a warm member after its greeting, until handed out)
 * relaying: path-sampler (outbound: the last sample at close) -> relay
 * </pre>
 *
 * {@code socks5-handshake} adds its reply decoders in front of itself and removes them and itself once the reply
 * it waits for has come; bytes the server sent after it go on to the next slot.
 */
public final class UpstreamPipeline {
    public static final String SOCKS5_HANDSHAKE = "socks5-handshake";
    public static final String POOL_IDLE_WATCH = "pool-idle-watch";
    public static final String PATH_SAMPLER = "path-sampler";
    public static final String RELAY = Relay.HANDLER_NAME;

    private UpstreamPipeline() {
    }
}
