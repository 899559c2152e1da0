package mpgw.testbed;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A destination server that aborts: every connection gets {@code sendBytes} bytes, has {@code readBytes} read
 * from it, and is then closed with an RST (SO_LINGER 0). Records when it reset its latest connection, so a test
 * can tell how long the reset took to reach the client.
 */
public final class ResettingService implements AutoCloseable {
    private final ServerSocket listener;
    private final long sendBytes;
    private final long readBytes;
    private volatile CompletableFuture<Long> resetAtNanos = new CompletableFuture<>();

    private ResettingService(ServerSocket listener, long sendBytes, long readBytes) {
        this.listener = listener;
        this.sendBytes = sendBytes;
        this.readBytes = readBytes;
        Thread t = new Thread(this::acceptLoop, "resetting-accept-" + listener.getLocalPort());
        t.setDaemon(true);
        t.start();
    }

    public static ResettingService start(Testbed testbed, String ns, InetSocketAddress bind, long sendBytes,
                                         long readBytes) throws Exception {
        return new ResettingService(testbed.call(ns, () -> {
            ServerSocket s = new ServerSocket();
            s.setReuseAddress(true);
            s.bind(bind);
            return s;
        }), sendBytes, readBytes);
    }

    /** Waits for the next reset this service sends; returns its {@link System#nanoTime()}. */
    public long awaitReset() throws Exception {
        long at = resetAtNanos.get(30, TimeUnit.SECONDS);
        resetAtNanos = new CompletableFuture<>();
        return at;
    }

    private void acceptLoop() {
        while (!listener.isClosed()) {
            try {
                listener.setSoTimeout(1_000); // wakes up to see close(), never blocks for good
                Socket s = listener.accept();
                Thread t = new Thread(() -> serve(s), "resetting-" + s.getRemoteSocketAddress());
                t.setDaemon(true);
                t.start();
            } catch (java.net.SocketTimeoutException e) {
                // nobody connected within the second: look at isClosed() again
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket s) {
        try (s) {
            s.setSoTimeout(30_000);
            byte[] buf = new byte[64 * 1024];
            for (long left = sendBytes; left > 0; left -= buf.length) {
                s.getOutputStream().write(buf, 0, (int) Math.min(buf.length, left));
            }
            InputStream in = s.getInputStream();
            long read = 0;
            int n;
            while (read < readBytes && (n = in.read(buf, 0, (int) Math.min(buf.length, readBytes - read))) > 0) {
                read += n;
            }
            s.setSoLinger(true, 0);
            s.close();
            resetAtNanos.complete(System.nanoTime());
        } catch (IOException e) {
            resetAtNanos.completeExceptionally(e);
        }
    }

    @Override
    public void close() throws IOException {
        listener.close();
    }
}
