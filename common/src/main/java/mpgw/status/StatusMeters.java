package mpgw.status;

/**
 * Which of a daemon's meters (Micrometer names) the status page shows in its figures; a null name is a figure the
 * daemon does not have (shown as absent, never as 0).
 *
 * @param tcpActive   gauge of TCP flows (gateway) or client connections (server) open now
 * @param udpActive   gauge(s) of UDP sessions open now, summed over their tags
 * @param fallbacks   MPTCP fallbacks: sockets that had to be plain TCP
 * @param subflows    distribution summary of sampled subflow counts per upstream connection
 * @param outcomes    counter of ended flows or replies, by {@code outcomeTag}
 * @param outcomeTag  the tag that names the outcome
 */
public record StatusMeters(String tcpActive, String udpActive, String fallbacks, String subflows, String outcomes,
                           String outcomeTag) {

    public static final StatusMeters GATEWAY = new StatusMeters("mpgw.gateway.flows.active",
            "mpgw.gateway.udp.sessions.active", "mpgw.gateway.mptcp.fallbacks", "mpgw.gateway.upstream.subflows",
            "mpgw.gateway.flows", "outcome");

    public static final StatusMeters SERVER = new StatusMeters("mpgw.server.connections.active",
            "mpgw.server.udp.sessions.active", "mpgw.server.mptcp.fallbacks", null, "mpgw.server.replies", "code");
}
