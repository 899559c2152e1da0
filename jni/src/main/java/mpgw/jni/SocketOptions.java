package mpgw.jni;

import io.netty.channel.Channel;
import io.netty.channel.unix.Socket;
import io.netty.channel.unix.UnixChannel;
import java.io.IOException;

/** The socket options Netty's epoll transport does not offer: SO_MARK, SO_BINDTODEVICE, IPv6 transparency. */
public final class SocketOptions {
    private SocketOptions() {
    }

    public static void apply(Socket socket, ClientSocketOptions options) throws IOException {
        if (options.mark() != 0) {
            setMark(socket.intValue(), options.mark());
        }
        if (options.device() != null && !options.device().isEmpty()) {
            NativeIoException.check("setsockopt(SO_BINDTODEVICE, " + options.device() + ")",
                    Native.bindToDevice(socket.intValue(), options.device()));
        }
    }

    /** Sets SO_MARK (needs CAP_NET_ADMIN). */
    public static void setMark(int fd, int mark) throws IOException {
        NativeIoException.check("setsockopt(SO_MARK)", Native.setMark(fd, mark));
    }

    public static int mark(Channel channel) throws IOException {
        return NativeIoException.check("getsockopt(SO_MARK)", Native.getMark(fd(channel)));
    }

    /** IPV6_TRANSPARENT and IPV6_RECVORIGDSTADDR, which Netty's epoll options cover for IPv4 only. */
    public static void setIpv6Transparent(int fd) throws IOException {
        NativeIoException.check("setsockopt(IPV6_TRANSPARENT)", Native.setIpv6Transparent(fd, true));
    }

    public static void setIpv6RecvOrigDstAddr(int fd) throws IOException {
        NativeIoException.check("setsockopt(IPV6_RECVORIGDSTADDR)", Native.setIpv6RecvOrigDstAddr(fd, true));
    }

    static int fd(Channel channel) {
        if (!(channel instanceof UnixChannel)) {
            throw new IllegalArgumentException("not an epoll channel: " + channel.getClass().getName());
        }
        return ((UnixChannel) channel).fd().intValue();
    }
}
