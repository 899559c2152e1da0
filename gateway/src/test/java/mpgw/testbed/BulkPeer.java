package mpgw.testbed;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.List;

/**
 * A destination for time-bounded bulk transfers: a connection whose first byte is {@code 'D'} gets bytes until it
 * closes (download), one whose first byte is {@code 'U'} has everything it sends read and dropped (upload). The
 * client side ({@link #download}, {@link #upload}) runs for a given time and records the bytes of every 100 ms.
 */
public final class BulkPeer implements AutoCloseable {
    /** Receiver-side bytes per 100 ms interval of one transfer. */
    public record Intervals(long[] bytes) {
        public long total() {
            long t = 0;
            for (long b : bytes) {
                t += b;
            }
            return t;
        }

        /** The longest run of empty 100 ms intervals from {@code fromInterval} on, in milliseconds. */
        public long longestStallMillis(int fromInterval) {
            int longest = 0;
            int run = 0;
            for (int i = fromInterval; i < bytes.length; i++) {
                run = bytes[i] == 0 ? run + 1 : 0;
                longest = Math.max(longest, run);
            }
            return longest * 100L;
        }

        /** Bytes in intervals [from, to). */
        public long between(int from, int to) {
            long t = 0;
            for (int i = from; i < Math.min(to, bytes.length); i++) {
                t += bytes[i];
            }
            return t;
        }
    }

    private final ServerSocket listener;

    private BulkPeer(ServerSocket listener) {
        this.listener = listener;
        Thread t = new Thread(this::acceptLoop, "bulk-accept-" + listener.getLocalPort());
        t.setDaemon(true);
        t.start();
    }

    public static BulkPeer start(Testbed testbed, String ns, InetSocketAddress bind) throws Exception {
        return new BulkPeer(testbed.call(ns, () -> {
            ServerSocket s = new ServerSocket();
            s.setReuseAddress(true);
            s.bind(bind);
            return s;
        }));
    }

    private void acceptLoop() {
        while (!listener.isClosed()) {
            try {
                listener.setSoTimeout(1_000);
                Socket s = listener.accept();
                Thread t = new Thread(() -> serve(s), "bulk-" + s.getRemoteSocketAddress());
                t.setDaemon(true);
                t.start();
            } catch (SocketTimeoutException e) {
                // look at isClosed() again
            } catch (IOException e) {
                return;
            }
        }
    }

    private static void serve(Socket s) {
        try (s) {
            s.setSoTimeout(60_000);
            InputStream in = s.getInputStream();
            int mode = in.read();
            byte[] buf = new byte[64 * 1024];
            if (mode == 'D') {
                OutputStream out = s.getOutputStream();
                long deadline = System.nanoTime() + 120_000_000_000L; // bounded even if the client never closes
                while (System.nanoTime() < deadline) {
                    out.write(buf);
                }
            } else {
                while (in.read(buf) > 0) {
                    // dropped
                }
            }
        } catch (IOException e) {
            // the client closed: the end of a transfer
        }
    }

    /** Downloads for {@code millis} from {@code ns}, recording the bytes of every 100 ms. */
    public static Intervals download(Testbed testbed, String ns, InetSocketAddress target, long millis)
            throws Exception {
        try (Socket s = EchoTransfer.connect(testbed, ns, target)) {
            s.setSoTimeout(100);
            s.getOutputStream().write('D');
            InputStream in = s.getInputStream();
            byte[] buf = new byte[64 * 1024];
            List<Long> intervals = new ArrayList<>();
            long start = System.nanoTime();
            long end = start + millis * 1_000_000;
            long next = start + 100_000_000;
            long count = 0;
            while (true) {
                long now = System.nanoTime();
                while (now >= next) {
                    intervals.add(count);
                    count = 0;
                    next += 100_000_000;
                }
                if (now >= end) {
                    break;
                }
                try {
                    int n = in.read(buf);
                    if (n < 0) {
                        throw new IOException("the download ended after " + (now - start) / 1_000_000 + " ms");
                    }
                    count += n;
                } catch (SocketTimeoutException e) {
                    // an empty stretch: recorded as such by the interval clock above
                }
            }
            return new Intervals(intervals.stream().mapToLong(Long::longValue).toArray());
        }
    }

    /** Uploads for {@code millis} from {@code ns}; returns the bytes written. */
    public static long upload(Testbed testbed, String ns, InetSocketAddress target, long millis) throws Exception {
        try (Socket s = EchoTransfer.connect(testbed, ns, target)) {
            OutputStream out = s.getOutputStream();
            out.write('U');
            byte[] buf = new byte[16 * 1024];
            long end = System.nanoTime() + millis * 1_000_000;
            long sent = 0;
            while (System.nanoTime() < end) {
                out.write(buf);
                sent += buf.length;
            }
            return sent;
        }
    }

    @Override
    public void close() throws IOException {
        listener.close();
    }
}
