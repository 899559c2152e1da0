package mpgw.gateway.upstream;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * What a fast-open connect queues before connecting: the SOCKS request for every attempt, and the client's first
 * bytes for one attempt only. A losing attempt of the address race can still reach its server, which with TFO acts
 * on SYN data before the handshake completes; with the payload in more than one SYN, the destination could get it
 * twice. So only the first attempt carries it, and {@link #unsentOn} tells what the winner must still send.
 *
 * <p>Event-loop only. The owner calls {@link #unsentOn} or {@link #release()} once.
 */
final class SynPayload implements Function<Channel, ByteBuf> {
    private final Supplier<ByteBuf> request;
    private ByteBuf payload;
    private Channel carrier;

    /** @param payload the client's first bytes, owned from now on */
    SynPayload(Supplier<ByteBuf> request, ByteBuf payload) {
        this.request = request;
        this.payload = payload;
    }

    @Override
    public ByteBuf apply(Channel attempt) {
        ByteBuf out = request.get();
        if (carrier == null && payload != null && payload.isReadable()) {
            // One buffer: Netty's doConnect0 puts only the first queued message into the SYN.
            out.writeBytes(payload, payload.readerIndex(), payload.readableBytes());
            carrier = attempt;
        }
        return out;
    }

    /**
     * The client bytes {@code winner} has not been given (all of them when another attempt carried them, none when
     * it carried them itself); the caller owns the result. Releases the payload.
     */
    ByteBuf unsentOn(Channel winner) {
        ByteBuf unsent = payload;
        payload = null;
        if (unsent == null) {
            return Unpooled.EMPTY_BUFFER;
        }
        if (winner == carrier) {
            unsent.release();
            return Unpooled.EMPTY_BUFFER;
        }
        return unsent;
    }

    void release() {
        if (payload != null) {
            payload.release();
            payload = null;
        }
    }
}
