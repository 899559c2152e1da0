package mpgw.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.util.ReferenceCountUtil;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Fuzz target for the front of router B's TLS listener: {@link TlsRecordGuard}, the server {@code SslHandler} (JDK
 * provider) and {@link HandshakeOutcomeHandler}, as {@link TlsHandlers#addServer} builds them, fed whatever a client
 * sends before a handshake could complete.
 *
 * <p>Input: byte 0 is the piece size (0: all at once), the rest the client's bytes. Invariants: no exception reaches
 * the end of the pipeline (the outcome handler ends every failure); nothing decrypted reaches the SOCKS5 side (no
 * client can finish a handshake with pinned keys it does not have); the listener hears at most one outcome, and
 * exactly one when the connection was closed; every buffer fed and every record written is released. Regression
 * inputs: {@code TlsRecordGuardFuzzTestInputs/clientBytes/}.
 */
class TlsRecordGuardFuzzTest {
    private static final SslContext SERVER;

    static {
        try {
            SERVER = TlsContexts.server(KeyGeneration.generate("fuzz-server"),
                    PinnedPeers.of(Set.of(KeyGeneration.generate("fuzz-client").fingerprint())),
                    TlsProvider.JDK);
        } catch (Exception e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Stands where the SOCKS5 decoders are: counts what gets through, releases it. */
    private static final class Behind extends ChannelInboundHandlerAdapter {
        int reads;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            reads++;
            ReferenceCountUtil.release(msg);
        }
    }

    @FuzzTest
    void clientBytes(byte[] input) {
        if (input.length == 0) {
            return;
        }
        int piece = input[0] & 0xff;
        List<HandshakeResult> outcomes = new ArrayList<>();
        Behind behind = new Behind();
        EmbeddedChannel ch = new EmbeddedChannel();
        TlsHandlers.addServer(ch.pipeline(), SERVER, Duration.ofSeconds(10), (c, r) -> outcomes.add(r));
        ch.pipeline().addLast(behind);
        List<ByteBuf> fed = new ArrayList<>();
        for (int off = 1; off < input.length && ch.isOpen(); off += piece == 0 ? input.length : piece) {
            int n = piece == 0 ? input.length - 1 : Math.min(piece, input.length - off);
            ByteBuf chunk = Unpooled.copiedBuffer(input, off, n);
            fed.add(chunk);
            ch.writeInbound(chunk); // rethrows anything that reached the tail
            ch.runPendingTasks();
            drainOutbound(ch);
        }
        assertEquals(0, behind.reads, "nothing decrypted without a handshake");
        assertTrue(outcomes.size() <= 1, "one outcome per connection: " + outcomes);
        if (!ch.isOpen()) {
            assertEquals(1, outcomes.size(), "a closed connection has its outcome");
            assertFalse(outcomes.get(0).isOk());
        }
        ch.close();
        drainOutbound(ch);
        ch.finishAndReleaseAll();
        for (ByteBuf chunk : fed) {
            assertEquals(0, chunk.refCnt(), "every buffer fed is released");
        }
    }

    private static void drainOutbound(EmbeddedChannel ch) {
        for (Object o; (o = ch.readOutbound()) != null; ) {
            ReferenceCountUtil.release(o);
        }
    }
}
