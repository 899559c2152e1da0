package mpgw.server;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicInteger;

/** A UDP echo server for tests on its own daemon thread; counts what it received. */
final class UdpEcho implements AutoCloseable {
    final AtomicInteger received = new AtomicInteger();
    private final DatagramSocket socket;

    UdpEcho(String host) throws IOException {
        socket = new DatagramSocket(new InetSocketAddress(host, 0));
        Thread t = new Thread(this::serve, "udp-echo");
        t.setDaemon(true);
        t.start();
    }

    InetSocketAddress address() {
        return (InetSocketAddress) socket.getLocalSocketAddress();
    }

    private void serve() {
        byte[] buf = new byte[65536];
        while (!socket.isClosed()) {
            try {
                DatagramPacket p = new DatagramPacket(buf, buf.length);
                socket.receive(p);
                received.incrementAndGet();
                socket.send(new DatagramPacket(p.getData(), p.getLength(), p.getSocketAddress()));
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    @Override
    public void close() {
        socket.close();
    }
}
