package mpgw.gateway.check;

/**
 * What {@link FeatureProbes} found out about one socks-server, for {@link ServerReport}: one probe result per
 * feature, null when that probe did not run. Not thread-safe: the check's thread.
 */
final class ServerTraits {
    /** Greeting, request and payload in one write, with the late-reply watch. */
    ProbeHandshake.Result pipelining;
    /** The second of two fast-open connections; null with TLS on. */
    ProbeHandshake.Result fastOpen;
    ProbeHandshake.Result fwdUdp;
    ProbeHandshake.Result associate;

    /** The server read the pipelined request: it sent a command reply, of any code. */
    boolean readsPipelined() {
        return pipelining != null && (pipelining.succeeded()
                || pipelining.refusedWith() != mpgw.gateway.upstream.Socks5HandshakeException.NO_REPLY);
    }

    boolean synDataAcked() {
        return fastOpen != null && fastOpen.succeeded() && fastOpen.synDataAcked();
    }
}
