package mpgw.gateway.udp;

import java.io.ByteArrayOutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;

/** A minimal DNS A query over a test's own UDP socket (for timing one socket's queries; dig uses new ports). */
final class DnsQuery {
    private DnsQuery() {
    }

    static byte[] a(int id, String name) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(id >> 8);
        out.write(id);
        out.writeBytes(new byte[] {0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0}); // RD; one question
        for (String label : name.split("\\.")) {
            byte[] b = label.getBytes(StandardCharsets.US_ASCII);
            out.write(b.length);
            out.writeBytes(b);
        }
        out.writeBytes(new byte[] {0, 0, 1, 0, 1}); // root, type A, class IN
        return out.toByteArray();
    }

    /**
     * Sends one query and waits for the answer with the same id; returns nanoseconds, or -1 on timeout (the socket's
     * SO_TIMEOUT, which callers must set).
     */
    static long ask(DatagramSocket socket, InetSocketAddress server, int id, String name) throws Exception {
        if (socket.getSoTimeout() == 0) {
            throw new IllegalArgumentException("set SO_TIMEOUT first: an unanswered query would block for good");
        }
        byte[] q = a(id, name);
        long start = System.nanoTime();
        socket.send(new DatagramPacket(q, q.length, server));
        byte[] buf = new byte[4096];
        // Answers to other ids do not extend the wait beyond the socket's timeout.
        long deadline = start + java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(socket.getSoTimeout());
        while (System.nanoTime() < deadline) {
            DatagramPacket p = new DatagramPacket(buf, buf.length);
            try {
                socket.receive(p);
            } catch (SocketTimeoutException e) {
                return -1;
            }
            if (p.getLength() >= 2 && ((buf[0] & 0xff) << 8 | (buf[1] & 0xff)) == (id & 0xffff)) {
                if (!p.getSocketAddress().equals(server)) {
                    throw new AssertionError("answer from " + p.getSocketAddress() + ", expected " + server);
                }
                return System.nanoTime() - start;
            }
        }
        return -1;
    }
}
