package mpgw.gateway.check;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.socksx.v5.Socks5CommandType;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import mpgw.gateway.config.GatewaySettings;
import mpgw.gateway.metrics.GatewayMetrics;
import mpgw.gateway.upstream.BadServerMemory;
import mpgw.gateway.upstream.EarlyData;
import mpgw.gateway.upstream.Socks5ClientHandshake;
import mpgw.gateway.upstream.Socks5ClientHandshake.Opening;
import mpgw.gateway.upstream.Socks5ClientSettings;
import mpgw.gateway.upstream.Socks5HandshakeException;
import mpgw.gateway.upstream.Socks5Requests;
import mpgw.gateway.upstream.UpstreamConnector;
import mpgw.gateway.upstream.UpstreamTls;
import mpgw.jni.MptcpSocketFactory;

/**
 * What {@code mpgw check} asks of a socks-server that answered its greeting, each on a connection of its own made
 * as the gateway's upstream makes it: does it read a pipelined request ({@link #pipelining}), take SOCKS5 bytes in
 * the SYN ({@link #fastOpen}), grant FWD UDP and UDP ASSOCIATE ({@link #udp})? The answers go into
 * {@link ServerTraits}; the check lines are {@link ServerReport}'s. Each probe is bounded by the connect timeout
 * and the handshake timeout. Not thread-safe: the check's thread.
 */
final class FeatureProbes {
    /**
     * The pipelined probe's destination port: port 0 of the server's own address, which no service listens on.
     * mpgw's server refuses it before connecting (an own address, and port 0); others get a refused connect. Any
     * command reply shows the request was read, and the payload reaches nobody.
     */
    static final int NOWHERE_PORT = 0;
    /** Sent behind the pipelined request, as a flow's first bytes would be. */
    static final String PIPELINED_PAYLOAD = "mpgw check: pipelined payload, to port 0\n";
    /** The UDP commands' DST.ADDR:DST.PORT, as the gateway's carriers send them: the client's address is not known. */
    private static final InetSocketAddress UNSPECIFIED = new InetSocketAddress("0.0.0.0", 0);

    private final GatewaySettings settings;
    private final MptcpSocketFactory sockets;
    private final UpstreamTls tls;
    private final EventLoop loop;

    FeatureProbes(GatewaySettings settings, MptcpSocketFactory sockets, UpstreamTls tls, EventLoop loop) {
        this.settings = settings;
        this.sockets = sockets;
        this.tls = tls;
        this.loop = loop;
    }

    /** The gateway's connector for {@code server} alone; with fast open only when asked (and TLS off). */
    UpstreamConnector connector(InetSocketAddress server, boolean fastOpen) {
        return new UpstreamConnector(List.of(server), sockets, settings.mark(), settings.connectTimeout(),
                settings.connectRaceDelay(), fastOpen, new BadServerMemory(settings.badServerMemory()),
                GatewayMetrics.NONE, tls);
    }

    EventLoop loop() {
        return loop;
    }

    private long connectMillis() {
        return settings.connectTimeout().toMillis();
    }

    private long handshakeMillis() {
        return settings.socks().handshakeTimeout().toMillis();
    }

    /** The configured credentials, pipelined, with the late-reply watch of {@code pipelined = auto} on. */
    private Socks5ClientSettings pipelinedWatched() {
        Socks5ClientSettings s = settings.socks();
        return new Socks5ClientSettings(s.username(), s.password(), true, s.handshakeTimeout(), s.earlyDataLimit(),
                true, s.pipeliningMemory());
    }

    /**
     * Greeting, credentials, a CONNECT to {@link #NOWHERE_PORT} and a payload in one write. A command reply of
     * any code: the server reads pipelined requests. The method reply but no command reply within
     * {@code LateReplyBound} (what {@code pipelined = auto} waits), or a close: it drops pipelined bytes.
     */
    void pipelining(InetSocketAddress server, ServerTraits traits) throws InterruptedException {
        InetSocketAddress nowhere = new InetSocketAddress(server.getAddress(), NOWHERE_PORT);
        EarlyData payload = new EarlyData() {
            private boolean taken;

            @Override
            public ByteBuf take() {
                if (taken) {
                    return Unpooled.EMPTY_BUFFER;
                }
                taken = true;
                return Unpooled.copiedBuffer(PIPELINED_PAYLOAD, StandardCharsets.US_ASCII);
            }
        };
        ProbeHandshake.Result r = ProbeHandshake.run(connector(server, false).connectTo(loop, server),
                connectMillis(), handshakeMillis(), (result, late) -> new Socks5ClientHandshake(server, nowhere,
                        pipelinedWatched(), payload, result, Socks5CommandType.CONNECT, Opening.FRESH)
                        .onLateCommandReply(late));
        r.close();
        traits.pipelining = r;
    }

    /**
     * Two connections with TCP_FASTOPEN_CONNECT, each with the greeting queued before connect: the first fetches
     * a cookie, the second carries the greeting in its SYN when the server gave one. Not with TLS (the gateway
     * does not use fast open then).
     */
    void fastOpen(InetSocketAddress server, ServerTraits traits) throws InterruptedException {
        if (tls != null) {
            return;
        }
        Socks5ClientSettings stepByStep = settings.socks().stepByStep();
        UpstreamConnector connector = connector(server, true);
        ProbeHandshake.Result r = null;
        for (int round = 0; round < 2; round++) {
            r = ProbeHandshake.run(connector.connect(loop, ch -> Socks5Requests.opening(stepByStep, null, null,
                    ch.alloc())), connectMillis(), handshakeMillis(), (result, late) ->
                    Socks5ClientHandshake.greetingOnly(server, stepByStep, Opening.REQUEST_SENT, result));
            r.close();
            if (!r.succeeded()) {
                break;
            }
        }
        traits.fastOpen = r;
    }

    /** FWD UDP and UDP ASSOCIATE requests, step by step, each on its own connection: the reply codes. */
    void udp(InetSocketAddress server, ServerTraits traits) throws InterruptedException {
        traits.fwdUdp = command(server, Socks5Requests.FWD_UDP);
        traits.associate = command(server, Socks5CommandType.UDP_ASSOCIATE);
    }

    private ProbeHandshake.Result command(InetSocketAddress server, Socks5CommandType command)
            throws InterruptedException {
        ProbeHandshake.Result r = ProbeHandshake.run(connector(server, false).connectTo(loop, server),
                connectMillis(), handshakeMillis(), (result, late) -> new Socks5ClientHandshake(server, UNSPECIFIED,
                        settings.socks().stepByStep(), EarlyData.NONE, result, command, Opening.FRESH));
        r.close(); // the server ends the association with its control connection
        return r;
    }

    /** {@code FWD UDP}, {@code UDP ASSOCIATE}: the command's name in the check's lines. */
    static String name(Socks5CommandType command) {
        return command.equals(Socks5Requests.FWD_UDP) ? "FWD UDP" : "UDP ASSOCIATE";
    }

    /** A command probe's answer in words: granted, refused with its reply, or what happened instead. */
    static String answer(ProbeHandshake.Result r) {
        if (r.succeeded()) {
            return "granted";
        }
        if (r.refusedWith() != Socks5HandshakeException.NO_REPLY) {
            return "refused (" + r.why() + ")";
        }
        return "no reply (" + r.why() + ")";
    }
}
