package mpgw.gateway.tcp;

/**
 * The names of the gateway's pipeline slots, in one place. The pipelines change by phase:
 *
 * <pre>
 * downstream (accepted client connection, auto-read off)
 *   setup:    idle-timeout -> original-dst -> early-data -> flow-setup
 *   relaying: idle-timeout -> relay
 *
 * upstream (MPTCP connection to the socks-server, same event loop)
 *   setup:    socks5-handshake
 *   relaying: path-sampler (outbound: the last sample at close) -> relay
 * </pre>
 *
 * {@code original-dst} removes itself once the destination is known and allowed; {@code early-data} and
 * {@code flow-setup} are removed, and {@code socks5-handshake} removes itself, when the relay starts.
 */
public final class GatewayPipeline {
    public static final String IDLE_TIMEOUT = "idle-timeout";
    public static final String ORIGINAL_DST = "original-dst";
    public static final String EARLY_DATA = "early-data";
    public static final String FLOW_SETUP = "flow-setup";
    public static final String SOCKS5_HANDSHAKE = "socks5-handshake";
    public static final String PATH_SAMPLER = "path-sampler";
    public static final String RELAY = mpgw.relay.Relay.HANDLER_NAME;

    private GatewayPipeline() {
    }
}
