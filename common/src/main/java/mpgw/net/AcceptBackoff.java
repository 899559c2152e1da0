package mpgw.net;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import mpgw.log.LogLimiter;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.apache.logging.log4j.message.ParameterizedMessage;

/**
 * On a listening channel: when accepting fails (EMFILE once the process is out of file descriptors, ENFILE,
 * ENOBUFS), stops accepting for a while instead of retrying at once. Without it the listener spins: the pending
 * connection stays in the kernel's backlog, the socket stays readable, every accept fails again, and each failure
 * is a log line (measured at 51cf123: 99 % of a core and about 100,000 lines a second).
 *
 * <p>The pause starts at {@code minPause} and doubles while accepting keeps failing, up to {@code maxPause}; the
 * first connection accepted again resets it. Each failure is counted ({@code onFailure}); the log gets at most one
 * line per interval per listener, saying how many failures it stands for. The exception is consumed here:
 * Netty's own acceptor would otherwise log it again at the pipeline's tail.
 *
 * <p>One instance per listener; event-loop only, like the listener's pipeline.
 */
public final class AcceptBackoff extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LogManager.getLogger(AcceptBackoff.class);

    private final String listener;
    private final Runnable onFailure;
    private final LogLimiter logLimiter;
    private final long minPauseNanos;
    private final long maxPauseNanos;
    private long pauseNanos;
    private boolean paused;

    public AcceptBackoff(String listener, Runnable onFailure, LogLimiter logLimiter, Duration minPause,
                         Duration maxPause) {
        this.listener = listener;
        this.onFailure = onFailure;
        this.logLimiter = logLimiter;
        this.minPauseNanos = minPause.toNanos();
        this.maxPauseNanos = Math.max(minPauseNanos, maxPause.toNanos());
        this.pauseNanos = minPauseNanos;
        warmUp();
    }

    /**
     * Loads now the classes the failure path needs: out of descriptors, the JVM cannot open a class file or jar
     * entry either, and a lazily loaded class there fails with NoClassDefFoundError (seen with the server at a
     * 256-descriptor limit: the first accept error ended in "NoClassDefFoundError: mpgw/log/LogLimiter$Slot").
     */
    private static void warmUp() {
        new LogLimiter(Duration.ofSeconds(1), 1).admit(AcceptBackoff.class);
        ParameterizedMessage.format("{} {}", new Object[] {"a", 1L});
        Resume.class.getName();
    }

    /** Whether accepting is paused now (for tests). */
    public boolean paused() {
        return paused;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object acceptedChild) {
        pauseNanos = minPauseNanos;
        ctx.fireChannelRead(acceptedChild);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        onFailure.run();
        long pause = pauseNanos;
        logLimiter.log(LOG, Level.WARN, listener, "accept failed on {}: {}; not accepting for {} ms",
                listener, cause.getMessage(), TimeUnit.NANOSECONDS.toMillis(pause));
        if (paused) {
            return;
        }
        paused = true;
        pauseNanos = Math.min(maxPauseNanos, pauseNanos * 2);
        ctx.channel().config().setAutoRead(false);
        ctx.executor().schedule(new Resume(ctx), pause, TimeUnit.NANOSECONDS);
    }

    private final class Resume implements Runnable {
        private final ChannelHandlerContext ctx;

        Resume(ChannelHandlerContext ctx) {
            this.ctx = ctx;
        }

        @Override
        public void run() {
            paused = false;
            if (ctx.channel().isOpen()) {
                ctx.channel().config().setAutoRead(true);
            }
        }
    }
}
