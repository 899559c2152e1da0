package mpgw.jni;

import io.netty.buffer.ByteBuf;
import io.netty.channel.epoll.LinuxSocket;
import io.netty.channel.unix.FileDescriptor;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Arrays;

/**
 * A non-blocking UDP socket that receives datagrams diverted to it by an iptables/nft {@code TPROXY} rule and
 * reports, for each one, the destination the client addressed (IP_RECVORIGDSTADDR / IPV6_RECVORIGDSTADDR).
 * Netty's epoll datagram channel surfaces only the IPv4 original destination, so this socket reads with a
 * small recvmsg of its own; it is meant to be driven by Netty's epoll event loop through
 * {@link TransparentDatagramListener}, never by a blocking thread.
 *
 * <p>An IPv6 socket is dual-stack: IPv4 datagrams arrive on it too, with IPv4 addresses. Needs CAP_NET_ADMIN.
 * Not thread-safe: one event loop reads it.
 */
public final class TransparentDatagramSocket implements AutoCloseable {
    private static final int META = 40;

    private final LinuxSocket socket;
    private final InetSocketAddress localAddress;
    private final byte[] meta = new byte[META];
    /** The previous datagram's endpoints: a flow's datagrams share them, so most reads allocate no addresses. */
    private final byte[] lastMeta = new byte[38];
    private InetSocketAddress lastSender;
    private InetSocketAddress lastDestination;

    private TransparentDatagramSocket(LinuxSocket socket, InetSocketAddress localAddress) {
        this.socket = socket;
        this.localAddress = localAddress;
    }

    /** One datagram: who sent it, where it was going, and whether it was longer than the buffer. */
    public record Received(InetSocketAddress sender, InetSocketAddress destination, int length, boolean truncated) {
    }

    /**
     * Opens, makes transparent and binds; {@code [::]:P} takes IPv4 and IPv6. {@code receiveBuffer} bytes (0:
     * the system default) may exceed net.core.rmem_max.
     */
    public static TransparentDatagramSocket bind(InetSocketAddress address, int receiveBuffer) throws IOException {
        NativeLibrary.ensureAvailable();
        boolean ipv6 = address.getAddress() instanceof Inet6Address;
        LinuxSocket socket = LinuxSocket.newSocketDgram(ipv6);
        try {
            NativeIoException.check(ipv6 ? "setsockopt(IP[V6]_TRANSPARENT, IP[V6]_RECVORIGDSTADDR)"
                    : "setsockopt(IP_TRANSPARENT, IP_RECVORIGDSTADDR)",
                    Native.setTransparentReceiver(socket.intValue(), ipv6, receiveBuffer));
            socket.setReuseAddress(true);
            socket.bind(address);
            return new TransparentDatagramSocket(socket, (InetSocketAddress) socket.localAddress());
        } catch (IOException | RuntimeException e) {
            socket.close();
            throw e;
        }
    }

    public InetSocketAddress localAddress() {
        return localAddress;
    }

    public FileDescriptor fd() {
        return socket;
    }

    /**
     * Reads one datagram into {@code buffer}'s writable bytes (a direct buffer), advancing its writer index by
     * the bytes stored. Returns null when nothing is queued.
     */
    public Received receive(ByteBuf buffer) throws IOException {
        int capacity = buffer.writableBytes();
        int n = Native.recvOrigDst(socket.intValue(), buffer.memoryAddress() + buffer.writerIndex(), capacity, meta);
        if (n == -Errno.EAGAIN) {
            return null;
        }
        NativeIoException.check("recvmsg", n);
        buffer.writerIndex(buffer.writerIndex() + n);
        if (lastSender == null || !Arrays.equals(meta, 0, 38, lastMeta, 0, 38)) {
            lastSender = endpoint(0);
            lastDestination = meta[19] == 0 ? null : endpoint(19);
            System.arraycopy(meta, 0, lastMeta, 0, 38);
        }
        return new Received(lastSender, lastDestination, n, meta[38] != 0);
    }

    private InetSocketAddress endpoint(int at) throws IOException {
        int len = meta[at];
        InetAddress address = InetAddress.getByAddress(Arrays.copyOfRange(meta, at + 1, at + 1 + len));
        return new InetSocketAddress(address, ((meta[at + 17] & 0xff) << 8) | (meta[at + 18] & 0xff));
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
