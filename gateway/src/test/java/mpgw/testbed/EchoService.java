package mpgw.testbed;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A destination server for end-to-end tests, listening inside a namespace: echoes every byte back and, when the
 * client half-closes, half-closes too (so the client reads to EOF). One thread per connection; blocking I/O
 * keeps it independent of the Netty code under test.
 */
public final class EchoService implements AutoCloseable {
    private final ServerSocket listener;
    private final AtomicInteger accepted = new AtomicInteger();

    private EchoService(ServerSocket listener) {
        this.listener = listener;
        Thread t = new Thread(this::acceptLoop, "echo-accept-" + listener.getLocalPort());
        t.setDaemon(true);
        t.start();
    }

    /** Listens on {@code bind} inside {@code ns}. */
    public static EchoService start(Testbed testbed, String ns, InetSocketAddress bind) throws Exception {
        return new EchoService(testbed.call(ns, () -> {
            ServerSocket s = new ServerSocket();
            s.setReuseAddress(true);
            s.bind(bind);
            return s;
        }));
    }

    public int port() {
        return listener.getLocalPort();
    }

    /** Connections accepted so far. */
    public int accepted() {
        return accepted.get();
    }

    private void acceptLoop() {
        while (!listener.isClosed()) {
            try {
                listener.setSoTimeout(1_000); // wakes up to see close(), never blocks for good
                Socket s = listener.accept();
                accepted.incrementAndGet();
                Thread t = new Thread(() -> echo(s), "echo-" + s.getRemoteSocketAddress());
                t.setDaemon(true);
                t.start();
            } catch (java.net.SocketTimeoutException e) {
                // nobody connected within the second: look at isClosed() again
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private static void echo(Socket s) {
        try (s) {
            s.setSoTimeout(60_000); // a client that vanishes without a FIN or RST does not hold a thread forever
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            byte[] buf = new byte[64 * 1024];
            int n;
            while ((n = in.read(buf)) > 0) {
                out.write(buf, 0, n);
            }
            s.shutdownOutput();
            // Wait for the peer to close, so our close never turns into a RST while bytes are in flight.
            while (in.read(buf) > 0) {
                // discard
            }
        } catch (IOException e) {
            // The peer went away; nothing to tell.
        }
    }

    @Override
    public void close() throws IOException {
        listener.close();
    }
}
