package mpgw.tls;

import io.netty.channel.ChannelPipeline;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import java.time.Duration;

/**
 * Puts TLS at the head of a connection's pipeline; the names of its slots. Call before adding the protocol
 * handlers (they go behind, with {@code addLast}). Server side (router B's listener):
 *
 * <pre>
 *   tls-guard    TlsRecordGuard          first byte not 0x16: plaintext-client, close (then removes itself)
 *   tls          SslHandler              TLS 1.3, client certificate required and pinned, handshake timeout
 *   tls-outcome  HandshakeOutcomeHandler one HandshakeResult per connection; failures end here (then removes itself)
 *   ...          SOCKS5 decoders and handlers
 * </pre>
 *
 * Client side (router A's upstream) is the same without {@code tls-guard}. Stateless.
 */
public final class TlsHandlers {
    public static final String GUARD = "tls-guard";
    public static final String SSL = "tls";
    public static final String OUTCOME = "tls-outcome";

    private TlsHandlers() {
    }

    /** The server side: guard, SslHandler, outcome. Returns the SslHandler. */
    public static SslHandler addServer(ChannelPipeline pipeline, SslContext context, Duration handshakeTimeout,
                                       HandshakeListener listener) {
        SslHandler ssl = context.newHandler(pipeline.channel().alloc());
        ssl.setHandshakeTimeoutMillis(handshakeTimeout.toMillis());
        pipeline.addLast(GUARD, TlsRecordGuard.INSTANCE);
        pipeline.addLast(SSL, ssl);
        pipeline.addLast(OUTCOME, new HandshakeOutcomeHandler(listener));
        return ssl;
    }

    /**
     * The client side: SslHandler and outcome. {@code serverHost} and {@code serverPort} key the session cache, so
     * pass the same values for every connection to one server, or it will not resume.
     */
    public static SslHandler addClient(ChannelPipeline pipeline, SslContext context, String serverHost,
                                       int serverPort, Duration handshakeTimeout, HandshakeListener listener) {
        SslHandler ssl = context.newHandler(pipeline.channel().alloc(), serverHost, serverPort);
        ssl.setHandshakeTimeoutMillis(handshakeTimeout.toMillis());
        pipeline.addLast(SSL, ssl);
        pipeline.addLast(OUTCOME, new HandshakeOutcomeHandler(listener));
        return ssl;
    }
}
