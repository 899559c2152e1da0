package mpgw.server;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A DNS responder on loopback for tests, so no test asks a real name server: A queries for the configured
 * names get their address, other queries for them an empty answer, and any other name NXDOMAIN. UDP only,
 * one question per query (RFC 1035 §4.1); its own daemon thread.
 */
final class TinyDns implements AutoCloseable {
    final AtomicInteger queries = new AtomicInteger();
    private final DatagramSocket socket;
    private final Map<String, InetAddress> names;

    TinyDns(Map<String, InetAddress> names) throws IOException {
        this.names = names;
        socket = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0));
        Thread t = new Thread(this::serve, "tiny-dns");
        t.setDaemon(true);
        t.start();
    }

    /** For {@code dns.servers}. */
    String server() {
        return "127.0.0.1:" + socket.getLocalPort();
    }

    private void serve() {
        byte[] buf = new byte[1500];
        while (!socket.isClosed()) {
            try {
                DatagramPacket p = new DatagramPacket(buf, buf.length);
                socket.receive(p);
                queries.incrementAndGet();
                byte[] answer = answer(Arrays.copyOf(p.getData(), p.getLength()));
                socket.send(new DatagramPacket(answer, answer.length, p.getSocketAddress()));
            } catch (IOException | RuntimeException e) {
                if (socket.isClosed()) {
                    return;
                }
            }
        }
    }

    private byte[] answer(byte[] query) {
        int i = 12;
        StringBuilder name = new StringBuilder();
        while (query[i] != 0) {
            int len = query[i] & 0xff;
            name.append(name.length() == 0 ? "" : ".").append(new String(query, i + 1, len));
            i += 1 + len;
        }
        int questionEnd = i + 1 + 4;
        int qtype = ((query[i + 1] & 0xff) << 8) | (query[i + 2] & 0xff);
        InetAddress address = names.get(name.toString().toLowerCase(Locale.ROOT));
        boolean answers = address != null && qtype == (address.getAddress().length == 4 ? 1 : 28);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(query[0]);
        out.write(query[1]);
        out.write(0x81); // QR, RD
        out.write(address == null ? 0x83 : 0x80); // RA; NXDOMAIN for unknown names
        out.writeBytes(new byte[] {0, 1, 0, answers ? (byte) 1 : 0, 0, 0, 0, 0});
        out.write(query, 12, questionEnd - 12);
        if (answers) {
            byte[] ip = address.getAddress();
            out.writeBytes(new byte[] {(byte) 0xc0, 12, 0, (byte) qtype, 0, 1, 0, 0, 0, 60, 0, (byte) ip.length});
            out.writeBytes(ip);
        }
        return out.toByteArray();
    }

    @Override
    public void close() {
        socket.close();
    }
}
