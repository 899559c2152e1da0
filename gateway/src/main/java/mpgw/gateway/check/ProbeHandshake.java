package mpgw.gateway.check;

import io.netty.channel.Channel;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import mpgw.gateway.upstream.ConnectFailure;
import mpgw.gateway.upstream.FastOpenStatus;
import mpgw.gateway.upstream.Socks5ClientHandshake;
import mpgw.gateway.upstream.Socks5HandshakeException;
import mpgw.gateway.upstream.UpstreamTls;
import mpgw.tls.HandshakeResult;

/**
 * One connection of {@code mpgw check} to a socks-server and one SOCKS5 handshake on it, waited for from the
 * check's thread. The connection comes from an {@link mpgw.gateway.upstream.UpstreamConnector}, so it is made as
 * the gateway's upstream makes it (MPTCP mode, SO_MARK, TLS); the handshake is the gateway's own
 * {@link Socks5ClientHandshake}. Every wait is bounded: the connect by {@code upstream.connect-timeout}, the
 * handshake by its own {@code timeouts.handshake} timer (the extra second here only guards against a lost event).
 */
final class ProbeHandshake {
    /** Makes the handshake; {@code late} is for {@link Socks5ClientHandshake#onLateCommandReply}. */
    interface Factory {
        Socks5ClientHandshake make(Promise<Channel> result, Runnable late);
    }

    /**
     * How it went.
     *
     * @param channel      the connection (open after a success; the caller closes it), or null when none was made
     * @param unreachable  why the connect failed, or null
     * @param tls          how TLS ended, null without TLS (or when it had not ended)
     * @param failure      why the handshake failed, or null (success, or late)
     * @param late         the server answered the method selection but not the pipelined command in time
     * @param millis       from the handshake's start to its end (or to the late call)
     * @param synDataAcked the server acknowledged the data of the SYN (fast open), read after the first reply
     */
    record Result(Channel channel, String unreachable, HandshakeResult tls, Throwable failure, boolean late,
                  long millis, boolean synDataAcked) {
        boolean succeeded() {
            return channel != null && unreachable == null && failure == null && !late;
        }

        /** The command reply's code when the server refused the command, else {@code NO_REPLY}. */
        int refusedWith() {
            return failure instanceof Socks5HandshakeException e ? e.replyCode() : Socks5HandshakeException.NO_REPLY;
        }

        /** The failure in words, without the proxy it starts with (the check's name says it). */
        String why() {
            if (unreachable != null) {
                return "cannot connect: " + unreachable;
            }
            if (failure instanceof Socks5HandshakeException e) {
                return e.what();
            }
            return failure == null ? "no failure" : String.valueOf(failure.getMessage());
        }

        void close() throws InterruptedException {
            if (channel != null) {
                channel.close().await(2, TimeUnit.SECONDS);
            }
        }
    }

    private ProbeHandshake() {
    }

    static Result run(Future<Channel> connecting, long connectTimeoutMillis, long handshakeTimeoutMillis,
                      Factory factory) throws InterruptedException {
        if (!connecting.await(connectTimeoutMillis + 1_000) || !connecting.isSuccess()) {
            connecting.cancel(false);
            String why = connecting.cause() == null ? "no answer within " + connectTimeoutMillis + " ms"
                    : ConnectFailure.reason(connecting.cause(), connectTimeoutMillis);
            return new Result(null, why, null, null, false, 0, false);
        }
        Channel ch = connecting.getNow();
        Promise<Channel> result = ch.eventLoop().newPromise();
        CountDownLatch ended = new CountDownLatch(1);
        AtomicLong lateAfter = new AtomicLong(-1);
        long start = System.nanoTime();
        result.addListener(f -> ended.countDown());
        Socks5ClientHandshake handshake = factory.make(result, () -> {
            lateAfter.set(System.nanoTime() - start);
            ended.countDown();
        });
        ch.pipeline().addLast("socks5-probe", handshake);
        if (!ended.await(handshakeTimeoutMillis + 1_000, TimeUnit.MILLISECONDS)) {
            ch.close();
            return new Result(ch, null, UpstreamTls.result(ch), new Socks5HandshakeTimeout(handshakeTimeoutMillis),
                    false, handshakeTimeoutMillis, false);
        }
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        if (!result.isDone()) { // late: the check decides; the channel is closed with the rest
            return new Result(ch, null, UpstreamTls.result(ch), null, true,
                    TimeUnit.NANOSECONDS.toMillis(lateAfter.get()), false);
        }
        boolean acked = false;
        if (result.isSuccess()) {
            try {
                acked = ch.eventLoop().submit(() -> FastOpenStatus.synDataAcked(ch)).get();
            } catch (ExecutionException e) {
                acked = false; // closed meanwhile: nothing to count as acked
            }
        }
        return new Result(ch, null, UpstreamTls.result(ch), result.cause(), false, millis, acked);
    }

    /** The extra second ran out without the handshake's own timer firing (a lost event). */
    static final class Socks5HandshakeTimeout extends Exception {
        Socks5HandshakeTimeout(long millis) {
            super("no SOCKS5 reply within " + millis + " ms");
        }
    }
}
