package mpgw.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import mpgw.config.Cidr;
import mpgw.paths.LinkProbePacket;
import org.junit.jupiter.api.Test;

/** The probe responder on loopback: what it answers, with what, and what it drops without a word on the wire. */
class ProbeResponderTest {
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    private static ProbeResponder start(String allow, int perSecond, SimpleMeterRegistry registry) throws Exception {
        return ProbeResponder.start(new ProbeResponder.Settings(true, new InetSocketAddress(LOOPBACK, 0),
                List.of(Cidr.parse(allow)), perSecond), registry).orElseThrow();
    }

    private static byte[] probe(long seq) {
        ByteBuffer b = LinkProbePacket.request(seq, 42);
        return Arrays.copyOf(b.array(), b.remaining());
    }

    /** Sends {@code payload} and returns the reply, or null when none comes within 300 ms. */
    private static byte[] exchange(DatagramSocket s, InetSocketAddress to, byte[] payload) throws Exception {
        s.send(new DatagramPacket(payload, payload.length, to));
        DatagramPacket reply = new DatagramPacket(new byte[2048], 2048);
        s.setSoTimeout(300);
        try {
            s.receive(reply);
            return Arrays.copyOf(reply.getData(), reply.getLength());
        } catch (SocketTimeoutException e) {
            return null;
        }
    }

    private static double drops(SimpleMeterRegistry r, String reason) {
        return r.get("mpgw.server.probe.drops").tag("reason", reason).counter().count();
    }

    @Test
    void aProbeComesBackByteForByteAndNothingElseDoes() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (ProbeResponder r = start("127.0.0.0/8", 100, registry); DatagramSocket s = new DatagramSocket(0, LOOPBACK)) {
            InetSocketAddress to = r.localAddress();
            assertArrayEquals(probe(7), exchange(s, to, probe(7)));
            byte[] longer = Arrays.copyOf(probe(8), LinkProbePacket.SIZE + 100);
            assertEquals(null, exchange(s, to, longer), "a longer datagram would make it a reflector");
            assertEquals(null, exchange(s, to, Arrays.copyOf(probe(9), 16)));
            byte[] wrongMagic = probe(10);
            wrongMagic[0] = 'X';
            assertEquals(null, exchange(s, to, wrongMagic));
            assertEquals(3, drops(registry, "malformed"));
            assertEquals(1, registry.get("mpgw.server.probe.replies").counter().count());
        }
    }

    @Test
    void aSourceOutsideAllowGetsNothing() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (ProbeResponder r = start("10.0.0.0/8", 100, registry); DatagramSocket s = new DatagramSocket(0, LOOPBACK)) {
            assertEquals(null, exchange(s, r.localAddress(), probe(1)));
            assertEquals(1, drops(registry, "not-allowed"));
        }
    }

    @Test
    void repliesPerSecondAreCapped() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (ProbeResponder r = start("127.0.0.0/8", 5, registry); DatagramSocket s = new DatagramSocket(0, LOOPBACK)) {
            for (int i = 0; i < 20; i++) {
                byte[] p = probe(i);
                s.send(new DatagramPacket(p, p.length, r.localAddress()));
            }
            s.setSoTimeout(300);
            int replies = 0;
            while (true) {
                try {
                    s.receive(new DatagramPacket(new byte[64], 64));
                    replies++;
                } catch (SocketTimeoutException e) {
                    break;
                }
            }
            assertEquals(5, replies);
            assertEquals(15, drops(registry, "rate"));
        }
    }

    @Test
    void offByDefaultMeansNoSocket() throws Exception {
        assertEquals(java.util.Optional.empty(), ProbeResponder.start(new ProbeResponder.Settings(false,
                new InetSocketAddress(LOOPBACK, 0), List.of(), 1), new SimpleMeterRegistry()));
        assertThrows(java.io.IOException.class, () -> {
            try (DatagramSocket taken = new DatagramSocket(0, LOOPBACK)) {
                ProbeResponder.start(new ProbeResponder.Settings(true, (InetSocketAddress) taken.getLocalSocketAddress(),
                        List.of(), 1), new SimpleMeterRegistry());
            }
        });
    }
}
