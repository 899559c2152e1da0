package mpgw.server;

import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.socksx.v5.Socks5InitialRequestDecoder;
import io.netty.handler.codec.socksx.v5.Socks5ServerEncoder;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import mpgw.config.Addresses;
import mpgw.config.Cidr;
import mpgw.connection.ConnectionRecord;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Admits or refuses each accepted client (allowlist, then connection limits) and builds its handshake
 * pipeline; see {@link ServerPipeline} for the slots. A refused client is closed before any byte is read.
 * Shared by all listeners; runs on each child's event loop.
 */
final class ClientChannelInitializer extends ChannelInitializer<SocketChannel> {
    private static final Logger LOG = LogManager.getLogger(ClientChannelInitializer.class);
    /** One line per connection when it ends ({@link ConnectionRecord#line()}). */
    private static final Logger CONNECTIONS = LogManager.getLogger("mpgw.server.connections");

    private final ServerContext context;
    /** Null on a plain listener. */
    private final TlsListener tls;

    ClientChannelInitializer(ServerContext context, TlsListener tls) {
        this.context = context;
        this.tls = tls;
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        InetSocketAddress client = Addresses.normalize(ch.remoteAddress());
        InetAddress ip = client.getAddress();
        Drop refusal = allowed(ip) ? context.limits().tryAcquire(ip) : Drop.CLIENT_NOT_ALLOWED;
        if (refusal != null) {
            context.events().dropped(refusal);
            LOG.debug("refused client={} reason={}", Addresses.format(client), refusal.tag());
            ch.close();
            return;
        }
        if (tls == null) {
            ConnectionRecord.attach(ch, client, "via", record -> CONNECTIONS.info(record.line()));
        } else {
            ConnectionRecord.attach(ch, client, "via", record -> tls.log(CONNECTIONS, ch, ip, record));
        }
        context.events().connectionOpened();
        context.listeners().track(ch);
        ch.closeFuture().addListener(f -> {
            context.limits().release(ip);
            context.events().connectionClosed();
        });
        if (context.settings().fastOpenQueue() > 0) {
            FastOpenHandshakePush.watch(ch, context.settings().timeouts().handshake());
        }
        ChannelPipeline p = ch.pipeline();
        if (tls != null) {
            // First: the SOCKS5 decoders see only decrypted bytes. The handshake timeout below, armed now, covers
            // the TLS handshake and the SOCKS5 request together.
            tls.addTo(p);
        }
        p.addLast(ServerPipeline.HANDSHAKE_TIMEOUT,
                new HandshakeTimeoutHandler(context.settings().timeouts().handshake(), context.events()));
        p.addLast(ServerPipeline.SOCKS_DECODER, new Socks5InitialRequestDecoder());
        p.addLast(ServerPipeline.SOCKS_ENCODER, Socks5ServerEncoder.DEFAULT);
        p.addLast(ServerPipeline.SOCKS_HANDSHAKE, new Socks5HandshakeHandler(context, tls != null));
    }

    private boolean allowed(InetAddress ip) {
        for (Cidr c : context.settings().clientAllow()) {
            if (c.contains(ip)) {
                return true;
            }
        }
        return false;
    }
}
