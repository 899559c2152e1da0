package mpgw.testbed;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Random;

/**
 * A destination server that sends: every connection gets {@code bytes} pseudo-random bytes (seeded by the
 * length), then a FIN. For one-way throughput through the testbed, which an echo cannot give.
 */
public final class SourceService implements AutoCloseable {
    private final ServerSocket listener;
    private final long bytes;

    private SourceService(ServerSocket listener, long bytes) {
        this.listener = listener;
        this.bytes = bytes;
        Thread t = new Thread(this::acceptLoop, "source-accept-" + listener.getLocalPort());
        t.setDaemon(true);
        t.start();
    }

    public static SourceService start(Testbed testbed, String ns, InetSocketAddress bind, long bytes) throws Exception {
        return new SourceService(testbed.call(ns, () -> {
            ServerSocket s = new ServerSocket();
            s.setReuseAddress(true);
            s.bind(bind);
            return s;
        }), bytes);
    }

    private void acceptLoop() {
        while (!listener.isClosed()) {
            try {
                listener.setSoTimeout(1_000); // wakes up to see close(), never blocks for good
                Socket s = listener.accept();
                Thread t = new Thread(() -> send(s), "source-" + s.getRemoteSocketAddress());
                t.setDaemon(true);
                t.start();
            } catch (java.net.SocketTimeoutException e) {
                // nobody connected within the second: look at isClosed() again
            } catch (IOException e) {
                return;
            }
        }
    }

    private void send(Socket s) {
        try (s) {
            s.setSoTimeout(60_000); // the wait for the client's close below is bounded
            OutputStream out = s.getOutputStream();
            Random random = new Random(bytes);
            byte[] buf = new byte[64 * 1024];
            for (long left = bytes; left > 0; left -= buf.length) {
                random.nextBytes(buf);
                out.write(buf, 0, (int) Math.min(buf.length, left));
            }
            s.shutdownOutput();
            InputStream in = s.getInputStream();
            while (in.read(buf) > 0) {
                // wait for the client's close
            }
        } catch (IOException e) {
            // the client went away
        }
    }

    /** Reads everything a connection from {@code ns} to {@code target} gets; returns {bytes, millis}. */
    public static long[] download(Testbed testbed, String ns, InetSocketAddress target) throws Exception {
        return download(testbed, ns, target, false);
    }

    /**
     * Like {@link #download(Testbed, String, InetSocketAddress)}; with {@code finFirst} the client half-closes right
     * after connecting (as {@code nc -N} or a one-shot request does), before the gateway's relay exists.
     */
    public static long[] download(Testbed testbed, String ns, InetSocketAddress target, boolean finFirst)
            throws Exception {
        try (Socket s = EchoTransfer.connect(testbed, ns, target)) {
            s.setSoTimeout(60_000);
            if (finFirst) {
                s.shutdownOutput();
            }
            InputStream in = s.getInputStream();
            byte[] buf = new byte[64 * 1024];
            long count = 0;
            int n = in.read(buf);
            long start = System.nanoTime();
            while (n > 0) {
                count += n;
                n = in.read(buf);
            }
            return new long[] {count, (System.nanoTime() - start) / 1_000_000};
        }
    }

    @Override
    public void close() throws IOException {
        listener.close();
    }
}
