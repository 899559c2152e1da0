package mpgw.gateway.udp;

import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.socksx.v5.Socks5CommandType;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.net.InetSocketAddress;
import mpgw.gateway.upstream.EarlyData;
import mpgw.gateway.upstream.Socks5ClientHandshake;
import mpgw.gateway.upstream.Socks5ClientSettings;
import mpgw.gateway.upstream.UpstreamConnector;

/**
 * What both carriers' tunnels do before their datagrams move, and how they end: an upstream MPTCP connection to
 * the socks-server, one SOCKS5 command on it, then the carrier's own set-up ({@link #established}). The session
 * hears of the end once ({@link UdpTunnel.Listener#closed}), unless it closed the tunnel itself.
 *
 * <p>Event-loop only, like {@link UdpTunnel}.
 */
abstract class SocksCommandTunnel implements UdpTunnel {
    protected final Listener listener;
    /** The upstream connection, once connected. */
    protected Channel upstream;
    protected boolean closed;
    private Future<Channel> connecting;

    SocksCommandTunnel(Listener listener) {
        this.listener = listener;
    }

    /** Connects and sends {@code command} with DST.ADDR/DST.PORT from {@link #requestAddress}. */
    final void start(EventLoop loop, UpstreamConnector connector, Socks5ClientSettings socks,
                     Socks5CommandType command) {
        connecting = connector.connect(loop);
        connecting.addListener(f -> connected(loop, socks, command));
    }

    /** DST.ADDR/DST.PORT of the command, given the connected upstream. */
    abstract InetSocketAddress requestAddress(Channel upstream);

    /** The command succeeded: set the carrier up and call {@link Listener#ready()} once datagrams can go. */
    abstract void established(EventLoop loop);

    /** Closes what the carrier opened besides the upstream connection. */
    abstract void closeCarrier();

    private void connected(EventLoop loop, Socks5ClientSettings socks, Socks5CommandType command) {
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
        Promise<Channel> handshake = loop.newPromise();
        upstream.pipeline().addLast("socks5", new Socks5ClientHandshake((InetSocketAddress) upstream.remoteAddress(),
                requestAddress(upstream), socks, EarlyData.NONE, handshake, command));
        handshake.addListener(h -> {
            if (closed) {
                return;
            }
            if (!h.isSuccess()) {
                end(h.cause().getMessage());
                return;
            }
            established(loop);
        });
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
