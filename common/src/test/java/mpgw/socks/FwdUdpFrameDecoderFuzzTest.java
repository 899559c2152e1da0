package mpgw.socks;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.DecoderException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * Fuzz target for the FWD UDP stream decoder both daemons put behind a FWD UDP request (the server's
 * {@code FwdUdpHandler}, the gateway's {@code FwdUdpStreamCarrier}): any bytes a peer sends, in any split.
 *
 * <p>Input: byte 0 is the size of the pieces the rest is fed in (0: all at once), the rest is the stream.
 * Invariants: only the decoder's own errors ({@link CorruptedFrameException}, {@link Socks5AddressException}), at
 * most once, and no frame after one; every frame is exactly the bytes at its place in the stream (a reference
 * parse of the same bytes); every buffer fed is released once the channel closes; the decoder never holds a whole
 * frame back (what is left undecoded is shorter than a complete frame). Regression inputs: {@code
 * FwdUdpFrameDecoderFuzzTestInputs/decodeStream/} in the test resources; fuzzing: docs/testing.md, "Fuzzing".
 */
class FwdUdpFrameDecoderFuzzTest {
    /** DAT.LEN + HDR.LEN + the longest address field (domain of 255) + the largest payload. */
    static final int MAX_FRAME = FwdUdpFrame.PREFIX_LENGTH + 1 + 1 + 255 + 2 + FwdUdpFrame.MAX_PAYLOAD;

    @FuzzTest
    void decodeStream(byte[] input) {
        if (input.length == 0) {
            return;
        }
        int piece = input[0] & 0xff;
        byte[] stream = java.util.Arrays.copyOfRange(input, 1, input.length);
        EmbeddedChannel ch = new EmbeddedChannel(new FwdUdpFrameDecoder());
        List<ByteBuf> fed = new ArrayList<>();
        int pos = 0;
        boolean corrupted = false;
        for (int off = 0; off < stream.length; off += piece == 0 ? stream.length : piece) {
            int n = piece == 0 ? stream.length : Math.min(piece, stream.length - off);
            ByteBuf chunk = Unpooled.copiedBuffer(stream, off, n);
            fed.add(chunk);
            try {
                ch.writeInbound(chunk);
            } catch (DecoderException e) {
                assertTrue(e instanceof CorruptedFrameException || e instanceof Socks5AddressException,
                        "only the decoder's own errors, got " + e);
                assertFalse(corrupted, "one error per stream: the rest is discarded");
                corrupted = true;
            }
            for (FwdUdpFrame frame; (frame = ch.readInbound()) != null; ) {
                try {
                    pos = checkAgainstReference(stream, pos, frame);
                } finally {
                    frame.release();
                }
            }
        }
        assertFalse(ch.finish(), "nothing left in the pipeline");
        for (ByteBuf chunk : fed) {
            assertEquals(0, chunk.refCnt(), "every buffer fed is released");
        }
        if (!corrupted) {
            assertTrue(stream.length - pos < MAX_FRAME, "undecoded bytes are less than one frame");
            assertIncomplete(stream, pos);
        }
    }

    /** The frame must be the one a direct parse finds at {@code pos}; returns the position after it. */
    private static int checkAgainstReference(byte[] stream, int pos, FwdUdpFrame frame) {
        ByteBuf ref = Unpooled.wrappedBuffer(stream, pos, stream.length - pos);
        int dataLength = ref.readUnsignedShort();
        int headerLength = ref.readUnsignedByte();
        InetSocketAddress address = Socks5Addresses.read(ref);
        assertEquals(headerLength, ref.readerIndex(), "HDR.LEN matches the address field");
        assertEquals(address, frame.address());
        byte[] payload = new byte[dataLength];
        ref.readBytes(payload);
        assertArrayEquals(payload, ByteBufUtil.getBytes(frame.content()));
        return pos + headerLength + dataLength;
    }

    /** What is left after the last frame must not be a complete, well-formed frame the decoder sat on. */
    private static void assertIncomplete(byte[] stream, int pos) {
        ByteBuf rest = Unpooled.wrappedBuffer(stream, pos, stream.length - pos);
        if (rest.readableBytes() < FwdUdpFrame.PREFIX_LENGTH + 1) {
            return;
        }
        int len = Socks5Addresses.encodedLength(rest, FwdUdpFrame.PREFIX_LENGTH);
        if (len == Socks5Addresses.INCOMPLETE) {
            return;
        }
        int dataLength = rest.getUnsignedShort(0);
        assertTrue(rest.readableBytes() < FwdUdpFrame.PREFIX_LENGTH + len + dataLength,
                "a complete frame was held back");
    }
}
