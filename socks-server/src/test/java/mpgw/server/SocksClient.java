package mpgw.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;

/** A blocking SOCKS5 client for tests, over a plain TCP socket; every read is bounded by a timeout. */
final class SocksClient implements AutoCloseable {
    /** A decoded reply {@code VER REP RSV ATYP BND.ADDR BND.PORT}. */
    record Reply(int rep, InetSocketAddress bound) {
    }

    final Socket socket;
    private final DataInputStream in;
    private final OutputStream out;

    SocksClient(Socket socket) throws IOException {
        this.socket = socket;
        socket.setSoTimeout(5000);
        socket.setTcpNoDelay(true);
        in = new DataInputStream(socket.getInputStream());
        out = socket.getOutputStream();
    }

    static SocksClient connect(InetSocketAddress server) throws IOException {
        Socket s = new Socket();
        s.connect(server, 5000);
        return new SocksClient(s);
    }

    void send(byte[]... parts) throws IOException {
        out.write(Wire.concat(parts));
        out.flush();
    }

    byte[] read(int n) throws IOException {
        byte[] b = new byte[n];
        in.readFully(b);
        return b;
    }

    /** Greeting offering no authentication; asserts the server picked it. */
    SocksClient greetNoAuth() throws IOException {
        send(Wire.greeting(0));
        assertArrayEquals(Wire.bytes(5, 0), read(2), "method selection");
        return this;
    }

    Reply request(int command, InetSocketAddress destination) throws IOException {
        send(Wire.request(command, destination));
        return readReply();
    }

    /** Reads what has arrived (up to 64 KiB): the count, or -1 at EOF; a reset throws. */
    int readSome() throws IOException {
        return in.read(new byte[65536]);
    }

    Reply readReply() throws IOException {
        byte[] head = read(4);
        if (head[0] != 5) {
            throw new IOException("reply version " + head[0]);
        }
        InetSocketAddress bound;
        int atyp = head[3];
        if (atyp == 1 || atyp == 4) {
            byte[] ip = read(atyp == 1 ? 4 : 16);
            bound = new InetSocketAddress(InetAddress.getByAddress(ip), in.readUnsignedShort());
        } else if (atyp == 3) {
            byte[] name = read(in.readUnsignedByte());
            bound = InetSocketAddress.createUnresolved(new String(name, StandardCharsets.US_ASCII), in.readUnsignedShort());
        } else {
            throw new IOException("reply ATYP " + atyp);
        }
        return new Reply(head[1] & 0xff, bound);
    }

    /** True when the server closes (EOF or reset) within the read timeout, after sending nothing more. */
    boolean closedByServer() throws IOException {
        try {
            return in.read() == -1;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (SocketException e) {
            return true; // reset: the server closed with our bytes unread
        }
    }

    /**
     * Asserts that the server closes (EOF or reset, nothing more sent) within {@code maxMillis} from now; returns
     * the milliseconds it took. Prints the figure ({@link Bounds#check}).
     */
    long assertClosedWithin(long maxMillis, String what) throws IOException {
        return assertClosedBetween(0, maxMillis, what);
    }

    /** As {@link #assertClosedWithin}, and not before {@code minMillis} from now (a timer's close). */
    long assertClosedBetween(long minMillis, long maxMillis, String what) throws IOException {
        return assertClosedBetween(System.nanoTime(), minMillis, maxMillis, what);
    }

    /** As {@link #assertClosedWithin}, durations counted from {@code startNanos} ({@link System#nanoTime()}). */
    long assertClosedBetween(long startNanos, long minMillis, long maxMillis, String what) throws IOException {
        int readTimeout = socket.getSoTimeout();
        long left = maxMillis - Bounds.millisSince(startNanos);
        socket.setSoTimeout((int) Math.max(1, left + 1));
        try {
            int b = in.read();
            if (b != -1) {
                throw new AssertionError(what + ": the server sent " + b + " instead of closing");
            }
        } catch (SocketTimeoutException e) {
            throw new AssertionError(what + ": still open " + Bounds.millisSince(startNanos) + " ms after the start,"
                    + " expected closed within " + maxMillis + " ms");
        } catch (SocketException e) {
            // reset: the server closed with our bytes unread
        } finally {
            if (!socket.isClosed()) {
                socket.setSoTimeout(readTimeout);
            }
        }
        return Bounds.check(what, Bounds.millisSince(startNanos), minMillis, maxMillis);
    }

    void shutdownOutput() throws IOException {
        socket.shutdownOutput();
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
