package mpgw.gateway.links;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import mpgw.config.Addresses;
import mpgw.paths.LinkProbePacket;

/**
 * Probes router B's responder over one link: a UDP socket bound to the link's own address (so the datagram leaves
 * through that link, whatever the other links do), one {@link LinkProbePacket} per tick, and a daemon thread that
 * reads the echoes. The links timer calls {@link #tick()}: it reports whether the previous probe was answered
 * within the tick and sends the next one.
 *
 * <p>Threading: {@link #tick()} on the links timer; the reader thread only publishes the last answered sequence
 * number and RTT (volatile). Echoes that are not ours (wrong size, magic or source) are ignored.
 */
final class LinkProbe implements AutoCloseable {
    private final String iface;
    private final InetSocketAddress target;
    private DatagramChannel channel;
    private long seq;
    private volatile long answeredSeq = -1;
    private volatile long rttNanos = -1;
    private boolean outstanding;

    LinkProbe(String iface, InetSocketAddress target) {
        this.iface = iface;
        this.target = target;
    }

    /**
     * The previous probe's fate ({@code null} when none was sent: first tick, or no socket), then sends the next.
     * A failure to bind (no address yet) counts as unanswered now; a probe whose send fails (link down:
     * ENETUNREACH; a local firewall drop: EPERM) is lost like one that gets no answer, at the next tick.
     */
    Boolean tick() {
        Boolean answered = outstanding ? answeredSeq == seq : null;
        outstanding = false;
        try {
            open();
            seq++;
            outstanding = true;
            channel.send(LinkProbePacket.request(seq, System.nanoTime()), target);
        } catch (IOException e) {
            closeChannel();
            return answered == null && !outstanding ? Boolean.FALSE : answered;
        }
        return answered;
    }

    /** The round trip of the last answered probe, or -1. */
    long rttNanos() {
        return rttNanos;
    }

    String describe() {
        return Addresses.format(target);
    }

    private void open() throws IOException {
        if (channel != null) {
            return;
        }
        InetAddress local = null;
        for (String a : LinkEndpoints.globalAddresses(iface)) {
            InetAddress candidate = Addresses.parseLiteral(a);
            if (candidate.getClass() == target.getAddress().getClass()) {
                local = candidate;
                break;
            }
        }
        if (local == null) {
            throw new IOException(iface + " has no address of the probe's family");
        }
        DatagramChannel ch = DatagramChannel.open(target.getAddress() instanceof java.net.Inet6Address
                ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET);
        try {
            ch.bind(new InetSocketAddress(local, 0));
            ch.connect(target);
        } catch (IOException e) {
            ch.close();
            throw e;
        }
        channel = ch;
        Thread reader = new Thread(() -> read(ch), "link-probe-" + iface);
        reader.setDaemon(true);
        reader.start();
    }

    private void read(DatagramChannel ch) {
        ByteBuffer buf = ByteBuffer.allocate(LinkProbePacket.SIZE + 1);
        while (ch.isOpen()) {
            buf.clear();
            try {
                ch.receive(buf);
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                // ICMP port unreachable on a connected socket: the next probe tries again
                continue;
            }
            buf.flip();
            if (LinkProbePacket.valid(buf)) {
                long s = LinkProbePacket.seq(buf);
                rttNanos = System.nanoTime() - LinkProbePacket.sentNanos(buf);
                answeredSeq = s;
            }
        }
    }

    private void closeChannel() {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // closing
            }
            channel = null;
        }
    }

    @Override
    public void close() {
        closeChannel();
    }
}
