package mpgw.gateway.check;

import mpgw.gateway.upstream.Socks5HandshakeException;
import mpgw.gateway.upstream.UpstreamTls;
import mpgw.tls.HandshakeOutcome;
import mpgw.tls.HandshakeResult;

/**
 * The {@code tls A:P} line of {@code mpgw check} with {@code gateway.upstream.tls} on: the handshake's outcome tag
 * (as in {@code mpgw_gateway_tls_handshakes_total{result}} and the flow lines), the server's full fingerprint and
 * whether it is pinned here, and whether the server accepted this gateway. In TLS 1.3 the client's handshake ends
 * before the server has judged the client's certificate, so a server that does not pin this gateway shows up as
 * a close before the SOCKS5 method reply, after {@code tls=ok}: said as the gateway's flow line says it.
 */
final class TlsReport {
    private TlsReport() {
    }

    static Check check(String name, ProbeHandshake.Result greeted, UpstreamTls tls) {
        String check = "tls " + name;
        HandshakeResult r = greeted.tls();
        String pinThisGateway = "add " + tls.own() + " (this gateway's certificate) to server.tls.peers on router B";
        if (r == null) {
            return Check.fail(check, "no TLS handshake result: " + ServerReport.escaped(greeted.why()),
                    "server.tls on router B, " + pinThisGateway);
        }
        if (r.outcome() == HandshakeOutcome.UNKNOWN_PEER) {
            return Check.fail(check, "tls=" + r.outcome().tag() + ": the server showed " + r.peer() + ", which is"
                    + " not pinned in gateway.upstream.tls.peers", "if that is router B's certificate (the line"
                    + " 'mpgw keys' printed there), add it to gateway.upstream.tls.peers");
        }
        if (!r.isOk()) {
            return Check.fail(check, "tls=" + r.outcome().tag() + " after " + r.elapsed().toMillis() + " ms"
                    + (r.peer() == null ? "" : ", server " + r.peer()) + ": " + ServerReport.escaped(r.detail()),
                    "router B must serve TLS 1.3 on this port (server.tls.enabled = on) and " + pinThisGateway);
        }
        String server = "server " + r.peer() + ", pinned in gateway.upstream.tls.peers";
        if (!greeted.succeeded() && greeted.failure() instanceof Socks5HandshakeException e
                && e.replyCode() == Socks5HandshakeException.NO_REPLY && !e.isTimeout()) {
            return Check.fail(check, "tls=ok (" + server + "), then " + ServerReport.escaped(e.what())
                    + ": router B closes a gateway whose certificate it does not pin", pinThisGateway);
        }
        return Check.ok(check, "tls=ok in " + r.elapsed().toMillis() + " ms, " + server + "; the server accepts"
                + " this gateway (" + UpstreamTls.shortForm(tls.own()) + ")");
    }
}
