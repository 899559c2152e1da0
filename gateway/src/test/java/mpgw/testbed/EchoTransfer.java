package mpgw.testbed;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * One client connection through the testbed to an {@link EchoService}: sends {@code bytes} pseudo-random bytes
 * (seeded, so a run is repeatable) while reading the echo, half-closes, reads to EOF, and reports the SHA-256 of
 * both directions. Equal hashes and counts mean every byte crossed the gateway both ways intact and in order.
 */
public final class EchoTransfer {
    private EchoTransfer() {
    }

    /** What one transfer did. */
    public record Result(long sent, long received, String sentSha256, String receivedSha256, long millis,
                         InetSocketAddress local) {
        public boolean intact() {
            return sent == received && sentSha256.equals(receivedSha256);
        }

        /** Mbit/s of one direction over the whole transfer. */
        public double mbitPerSecond() {
            return millis == 0 ? 0 : sent * 8.0 / 1000.0 / millis;
        }

        @Override
        public String toString() {
            return "sent=" + sent + " received=" + received + " sha256 " + (intact() ? "equal" : sentSha256
                    + " vs " + receivedSha256) + " in " + millis + " ms (" + String.format("%.1f", mbitPerSecond())
                    + " Mbit/s each way)";
        }
    }

    /** Connects from namespace {@code ns} to {@code target} and runs the transfer to its end. */
    public static Result run(Testbed testbed, String ns, InetSocketAddress target, long bytes, long seed)
            throws Exception {
        Socket s = connect(testbed, ns, target);
        return over(s, bytes, seed);
    }

    /** A connected socket made inside {@code ns}; 10 s connect timeout. */
    public static Socket connect(Testbed testbed, String ns, InetSocketAddress target) throws Exception {
        return testbed.call(ns, () -> {
            Socket s = new Socket();
            s.connect(target, 10_000);
            return s;
        });
    }

    /** Runs the transfer over an already connected socket, then closes it. */
    public static Result over(Socket s, long bytes, long seed) throws IOException, InterruptedException {
        long start = System.nanoTime();
        try (s) {
            s.setSoTimeout(60_000);
            CompletableFuture<String> sender = CompletableFuture.supplyAsync(() -> send(s, bytes, seed));
            MessageDigest received = sha256();
            long count = 0;
            InputStream in = s.getInputStream();
            byte[] buf = new byte[64 * 1024];
            int n;
            while ((n = in.read(buf)) > 0) {
                received.update(buf, 0, n);
                count += n;
            }
            String sentSha;
            try {
                sentSha = sender.get();
            } catch (ExecutionException e) {
                throw new IOException("sending failed after " + count + " bytes came back", e.getCause());
            }
            return new Result(bytes, count, sentSha, HexFormat.of().formatHex(received.digest()),
                    (System.nanoTime() - start) / 1_000_000, (InetSocketAddress) s.getLocalSocketAddress());
        }
    }

    private static String send(Socket s, long bytes, long seed) {
        try {
            MessageDigest sent = sha256();
            Random random = new Random(seed);
            OutputStream out = s.getOutputStream();
            byte[] buf = new byte[32 * 1024];
            for (long left = bytes; left > 0; ) {
                random.nextBytes(buf);
                int n = (int) Math.min(buf.length, left);
                out.write(buf, 0, n);
                sent.update(buf, 0, n);
                left -= n;
            }
            s.shutdownOutput();
            return HexFormat.of().formatHex(sent.digest());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
