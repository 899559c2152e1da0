package mpgw.gateway.tcp;

import mpgw.gateway.upstream.UpstreamPipeline;

/**
 * The names of the downstream channel's pipeline slots (the accepted client connection, auto-read off), in one
 * place; the upstream channel's are in {@link UpstreamPipeline}. The pipeline changes by phase:
 *
 * <pre>
 *   setup:    idle-timeout -> original-dst -> early-data -> flow-setup
 *   relaying: idle-timeout -> relay
 * </pre>
 *
 * {@code original-dst} removes itself once the destination is known and allowed; {@code early-data} and
 * {@code flow-setup} are removed when the relay starts.
 */
final class GatewayPipeline {
    static final String IDLE_TIMEOUT = "idle-timeout";
    static final String ORIGINAL_DST = "original-dst";
    static final String EARLY_DATA = "early-data";
    static final String FLOW_SETUP = "flow-setup";
    static final String RELAY = UpstreamPipeline.RELAY;

    private GatewayPipeline() {
    }
}
