package mpgw.tls;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import javax.net.ssl.SSLPeerUnverifiedException;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Sits right after the {@code SslHandler} and ends every handshake in one place: reports a {@link HandshakeResult}
 * to the {@link HandshakeListener} exactly once per connection, and on failure closes the connection and consumes
 * the failure, so no handshake exception reaches the handlers behind it or the pipeline's tail (the SslHandler has
 * already sent its alert). On success it passes the {@link SslHandshakeCompletionEvent} on and removes itself;
 * later exceptions (a bad record mid-stream) go to the protocol handlers as before.
 *
 * <p>One instance per channel; all calls on the channel's event loop.
 */
public final class HandshakeOutcomeHandler extends ChannelInboundHandlerAdapter {
    private static final Logger log = LogManager.getLogger(HandshakeOutcomeHandler.class);

    private final HandshakeListener listener;
    private long start;
    private boolean reported;

    public HandshakeOutcomeHandler(HandshakeListener listener) {
        this.listener = listener;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        start = System.nanoTime();
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        start = System.nanoTime();
        ctx.fireChannelActive();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof TlsRecordGuard.PlaintextRejected p) {
            fail(ctx, HandshakeOutcome.PLAINTEXT_CLIENT, null, p.description());
        } else if (evt instanceof SslHandshakeCompletionEvent e) {
            if (e.isSuccess()) {
                report(ctx, new HandshakeResult(HandshakeOutcome.OK, peer(ctx), "", elapsed()));
                ctx.pipeline().remove(this);
                ctx.fireUserEventTriggered(evt);
            } else {
                Throwable cause = e.cause();
                fail(ctx, HandshakeFailures.outcomeOf(cause), HandshakeFailures.unpinnedPeer(cause),
                        HandshakeFailures.describe(cause));
            }
        } else {
            ctx.fireUserEventTriggered(evt);
        }
    }

    /** Before the handshake ends, an exception is its failure (the SslHandler's decode error, a reset). */
    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        fail(ctx, HandshakeFailures.outcomeOf(cause), HandshakeFailures.unpinnedPeer(cause),
                HandshakeFailures.describe(cause));
    }

    private void fail(ChannelHandlerContext ctx, HandshakeOutcome outcome, Fingerprint peer, String detail) {
        report(ctx, new HandshakeResult(outcome, peer, detail, elapsed()));
        ctx.close();
    }

    private void report(ChannelHandlerContext ctx, HandshakeResult result) {
        if (reported) {
            return;
        }
        reported = true;
        try {
            listener.handshakeFinished(ctx.channel(), result);
        } catch (RuntimeException e) {
            log.debug("handshake listener failed on {}", ctx.channel(), e);
        }
    }

    private Duration elapsed() {
        return Duration.ofNanos(System.nanoTime() - start);
    }

    private static Fingerprint peer(ChannelHandlerContext ctx) {
        SslHandler ssl = ctx.pipeline().get(SslHandler.class);
        if (ssl == null) {
            return null;
        }
        try {
            Certificate[] chain = ssl.engine().getSession().getPeerCertificates();
            return chain.length > 0 && chain[0] instanceof X509Certificate x ? Fingerprint.of(x) : null;
        } catch (SSLPeerUnverifiedException e) {
            return null;
        }
    }
}
