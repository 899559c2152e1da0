package mpgw.gateway.check;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import mpgw.connection.LogText;
import mpgw.gateway.config.GatewaySettings;
import mpgw.gateway.config.UdpSettings;
import mpgw.gateway.upstream.Socks5ClientSettings;
import mpgw.gateway.upstream.Socks5Requests;
import io.netty.handler.codec.socksx.v5.Socks5CommandType;

/**
 * The check lines of what {@link FeatureProbes} found about one socks-server: {@code pipelining}, {@code fast-open},
 * {@code udp}, and last {@code keys}, the gateway settings that fit that server. A line fails only where this
 * config would break flows to the server (pipelined = on against a server that drops pipelined bytes, the
 * configured UDP carrier refused, a fast-open connection unanswered); the rest are facts and advice. Text from the
 * server (a reply it sent, words about it) is escaped with {@link LogText}.
 */
final class ServerReport {
    private final GatewaySettings settings;
    private final InetSocketAddress server;
    private final String name;
    private final ServerTraits traits;

    ServerReport(GatewaySettings settings, InetSocketAddress server, String name, ServerTraits traits) {
        this.settings = settings;
        this.server = server;
        this.name = name;
        this.traits = traits;
    }

    List<Check> checks() {
        List<Check> checks = new ArrayList<>(List.of(pipelining()));
        if (traits.fastOpen != null) {
            checks.add(fastOpen());
        }
        checks.add(udp());
        checks.add(keys());
        return checks;
    }

    /** Text that may quote the server's bytes, as {@link LogText#quoted} escapes it, without the quotes. */
    static String escaped(String text) {
        String q = LogText.quoted(text);
        return q.substring(1, q.length() - 1);
    }

    private Check pipelining() {
        String check = "pipelining " + name;
        ProbeHandshake.Result r = traits.pipelining;
        String configured = "gateway.socks.pipelined = " + settings.socks().pipelinedKey();
        if (traits.readsPipelined()) {
            return Check.ok(check, "reads a pipelined request (greeting, request and payload in one write):"
                    + " command reply in " + r.millis() + " ms, " + (r.succeeded() ? "granted" : escaped(r.why())));
        }
        String found = r.late()
                ? "answered the method selection but not the pipelined request within " + r.millis() + " ms"
                : "no command reply to a pipelined request: " + escaped(r.why());
        found += ": the server drops pipelined bytes (microsocks does)";
        Socks5ClientSettings socks = settings.socks();
        if (socks.adaptive()) {
            return Check.ok(check, found + "; " + configured + " falls back for it (after one race per "
                    + socks.pipeliningMemory().toString().substring(2).toLowerCase(java.util.Locale.ROOT)
                    + "); off spares the first flow that race");
        }
        if (socks.pipelined()) {
            return Check.fail(check, found + "; with " + configured + " every flow to it waits for the handshake"
                    + " timeout", "gateway.socks.pipelined = off (or auto)");
        }
        return Check.ok(check, found + "; " + configured + " suits it");
    }

    private Check fastOpen() {
        String check = "fast-open " + name;
        ProbeHandshake.Result r = traits.fastOpen;
        if (!r.succeeded()) {
            return Check.fail(check, "a connection with TCP_FASTOPEN_CONNECT got no greeting reply: "
                    + escaped(r.why()), "keep gateway.upstream.fast-open = off (SYNs with data may be dropped on"
                    + " the way)");
        }
        if (r.synDataAcked()) {
            return Check.ok(check, "the server acknowledged the greeting in the SYN (a TFO cookie is"
                    + " cached); turn gateway.upstream.fast-open on together with router A's net.ipv4.tcp_rmem"
                    + " (reference.conf)");
        }
        return Check.ok(check, "the server took no data in the SYN (no TFO cookie; mpgw's server offers one with"
                + " server.fast-open and net.ipv4.tcp_fastopen=3 on router B)");
    }

    private Check udp() {
        String check = "udp " + name;
        String detail = FeatureProbes.name(Socks5Requests.FWD_UDP) + " " + FeatureProbes.answer(traits.fwdUdp)
                + ", " + FeatureProbes.name(Socks5CommandType.UDP_ASSOCIATE) + " "
                + FeatureProbes.answer(traits.associate);
        detail = escaped(detail);
        UdpSettings udp = settings.udp();
        if (!udp.enabled() || !udp.servers().contains(server)) {
            return Check.ok(check, detail);
        }
        boolean stream = udp.mode() == UdpSettings.Mode.STREAM;
        ProbeHandshake.Result carrier = stream ? traits.fwdUdp : traits.associate;
        if (carrier.succeeded()) {
            return Check.ok(check, detail);
        }
        return Check.fail(check, detail + "; gateway.udp.mode = " + (stream ? "stream" : "associate")
                + " needs the first", fitUdp());
    }

    /** The UDP key that fits the server, as it goes in the config. */
    private String fitUdp() {
        if (traits.fwdUdp.succeeded()) {
            return "gateway.udp.mode = stream";
        }
        if (traits.associate.succeeded() && !settings.tls().enabled()) {
            return "gateway.udp.mode = associate";
        }
        return "gateway.udp.enabled = off";
    }

    private String fitPipelined() {
        return "gateway.socks.pipelined = " + (traits.readsPipelined() ? "auto" : "off");
    }

    /** The settings that fit this server, and which of them this config sets otherwise. */
    private Check keys() {
        List<String> fit = new ArrayList<>();
        List<String> differ = new ArrayList<>();
        String pipelined = fitPipelined();
        fit.add(pipelined);
        if (!pipelined.endsWith("= " + settings.socks().pipelinedKey())) {
            differ.add("gateway.socks.pipelined = " + settings.socks().pipelinedKey());
        }
        String udp = fitUdp();
        fit.add(udp);
        String configuredUdp = settings.udp().enabled()
                ? "gateway.udp.mode = " + settings.udp().mode().name().toLowerCase(java.util.Locale.ROOT)
                : "gateway.udp.enabled = off";
        if (!udp.equals(configuredUdp)) {
            differ.add(configuredUdp);
        }
        if (traits.fastOpen != null) {
            boolean fits = traits.synDataAcked();
            fit.add("gateway.upstream.fast-open = " + (fits ? "on" : "off"));
            if (fits != settings.fastOpen()) {
                differ.add("gateway.upstream.fast-open = " + (settings.fastOpen() ? "on" : "off"));
            }
        }
        return Check.ok("keys " + name, String.join(", ", fit)
                + (differ.isEmpty() ? " (as configured)" : " (configured: " + String.join(", ", differ) + ")"));
    }
}
