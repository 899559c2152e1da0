package mpgw.paths;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The link probe's datagram, the same both ways: the gateway sends it over one WAN link to the socks-server's probe
 * responder, which sends the very same bytes back. 32 bytes: the magic {@code MPGWPRB1}, a sequence number, the
 * sender's send time (nanoTime, only the sender reads it) and 8 reserved zero bytes. A reply is never larger than
 * its request, so the responder cannot amplify.
 */
public final class LinkProbePacket {
    public static final int SIZE = 32;
    private static final byte[] MAGIC = "MPGWPRB1".getBytes(StandardCharsets.US_ASCII);

    private LinkProbePacket() {
    }

    /** A request with {@code seq} and {@code sentNanos}, ready to send (position 0, limit {@link #SIZE}). */
    public static ByteBuffer request(long seq, long sentNanos) {
        ByteBuffer b = ByteBuffer.allocate(SIZE);
        b.put(MAGIC).putLong(seq).putLong(sentNanos).putLong(0);
        return b.flip();
    }

    /** Whether {@code b} (position to limit) is a probe datagram: exactly {@link #SIZE} bytes, the magic first. */
    public static boolean valid(ByteBuffer b) {
        if (b.remaining() != SIZE) {
            return false;
        }
        for (int i = 0; i < MAGIC.length; i++) {
            if (b.get(b.position() + i) != MAGIC[i]) {
                return false;
            }
        }
        return true;
    }

    public static long seq(ByteBuffer b) {
        return b.getLong(b.position() + 8);
    }

    public static long sentNanos(ByteBuffer b) {
        return b.getLong(b.position() + 16);
    }
}
