package mpgw.gateway.udp;

import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.socksx.v5.Socks5CommandType;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.net.InetSocketAddress;
import mpgw.gateway.upstream.EarlyData;
import mpgw.gateway.upstream.Socks5ClientHandshake;
import mpgw.gateway.upstream.Socks5ClientHandshake.Opening;
import mpgw.gateway.upstream.Socks5ClientSettings;
import mpgw.gateway.upstream.Socks5HandshakeException;
import mpgw.gateway.upstream.UpstreamConnector;
import mpgw.gateway.upstream.WarmUpstreams;

/**
 * What both carriers' tunnels do before their datagrams move, and how they end: an upstream MPTCP connection to
 * the socks-server (a warm pool member when there is one: connected, greeted, subflows joined; otherwise a fresh
 * connect), one SOCKS5 command on it, then the carrier's own set-up ({@link #established}). A carrier may start
 * moving datagrams behind the request, before its reply ({@link #requestSent}). The session hears of the end once
 * ({@link UdpTunnel.Listener#closed}), unless it closed the tunnel itself.
 *
 * <p>A warm member that fails before the command reply without a reply code (the server closed it while it idled)
 * is replaced, once, by a fresh connection carrying the same first bytes, as TCP flows do
 * ({@link mpgw.gateway.upstream.Attempt}).
 *
 * <p>Event-loop only, like {@link UdpTunnel}.
 */
abstract class SocksCommandTunnel implements UdpTunnel {
    protected final Listener listener;
    /** The upstream connection, once connected (null again while a dead warm member is replaced). */
    protected Channel upstream;
    protected boolean closed;
    private boolean established;
    private Future<Channel> connecting;

    SocksCommandTunnel(Listener listener) {
        this.listener = listener;
    }

    /**
     * Takes a warm connection from {@code warm} or connects, and sends {@code command} with DST.ADDR/DST.PORT from
     * {@link #requestAddress}.
     */
    final void start(EventLoop loop, UpstreamConnector connector, WarmUpstreams warm, Socks5ClientSettings socks,
                     Socks5CommandType command) {
        Channel member = warm.take(loop);
        if (member != null) {
            upstream = member;
            handshake(loop, connector, socks, command, Opening.GREETED);
        } else {
            connect(loop, connector, socks, command);
        }
    }

    /** DST.ADDR/DST.PORT of the command, given the connected upstream. */
    abstract InetSocketAddress requestAddress(Channel upstream);

    /**
     * Bytes to send in the same write as the command request (pipelined SOCKS5 only), or {@link EarlyData#NONE}.
     * Asked once per connection; a retry on a fresh connection asks again and must get the same bytes.
     */
    EarlyData firstBytes(Socks5ClientSettings socks) {
        return EarlyData.NONE;
    }

    /** The request has been written (and the first bytes with it); the reply has not come yet. */
    void requestSent(EventLoop loop) {
    }

    /** The command succeeded: set the carrier up and call {@link Listener#ready} if not done yet. */
    abstract void established(EventLoop loop);

    /** Closes what the carrier opened besides the upstream connection. */
    abstract void closeCarrier();

    @Override
    public final boolean isEstablished() {
        return established;
    }

    private void connect(EventLoop loop, UpstreamConnector connector, Socks5ClientSettings socks,
                         Socks5CommandType command) {
        connecting = connector.connect(loop);
        connecting.addListener(f -> connected(loop, connector, socks, command));
    }

    private void connected(EventLoop loop, UpstreamConnector connector, Socks5ClientSettings socks,
                           Socks5CommandType command) {
        if (closed) {
            if (connecting.isSuccess()) {
                connecting.getNow().close();
            }
            return;
        }
        if (!connecting.isSuccess()) {
            end(connecting.cause() == null ? "upstream connect cancelled" : connecting.cause().getMessage());
            return;
        }
        upstream = connecting.getNow();
        handshake(loop, connector, socks, command, Opening.FRESH);
    }

    private void handshake(EventLoop loop, UpstreamConnector connector, Socks5ClientSettings socks,
                           Socks5CommandType command, Opening opening) {
        Channel channel = upstream;
        Promise<Channel> handshake = loop.newPromise();
        channel.pipeline().addLast("socks5", new Socks5ClientHandshake((InetSocketAddress) channel.remoteAddress(),
                requestAddress(channel), socks, firstBytes(socks), handshake, command, opening));
        handshake.addListener(h -> {
            if (closed || channel != upstream) {
                return;
            }
            if (h.isSuccess()) {
                established = true;
                established(loop);
            } else if (opening == Opening.GREETED && diedWithoutReply(h.cause())) {
                // A warm member the server had closed meanwhile: the first bytes go again on a fresh one.
                upstream = null;
                connect(loop, connector, socks, command);
            } else {
                end(h.cause().getMessage());
            }
        });
        if (!closed && channel == upstream && !handshake.isDone()) {
            requestSent(loop);
        }
    }

    private static boolean diedWithoutReply(Throwable cause) {
        return cause instanceof Socks5HandshakeException e && e.kind() == Socks5HandshakeException.Kind.CLOSED;
    }

    /** Ends the tunnel from inside (a failure, the upstream closing) and tells the session why. */
    final void end(String reason) {
        if (!closed) {
            closed = true;
            closeAll();
            listener.closed(reason);
        }
    }

    @Override
    public final void close() {
        if (!closed) {
            closed = true;
            closeAll();
        }
    }

    private void closeAll() {
        if (connecting != null) {
            connecting.cancel(false);
        }
        closeCarrier();
        if (upstream != null) {
            upstream.close();
        }
    }
}
