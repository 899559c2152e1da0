package mpgw.jni;

import io.netty.channel.unix.FileDescriptor;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.LinuxSocket;
import java.io.IOException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Creates non-blocking stream sockets with {@code IPPROTO_MPTCP}, applying an {@link MptcpMode}
 * when the kernel refuses it (EPROTONOSUPPORT, ENOPROTOOPT, EINVAL: MPTCP absent, or
 * {@code net.mptcp.enabled=0} in this network namespace).
 *
 * <p>Thread-safe. One instance per daemon, so its {@link #fallbacks()} count is the daemon's.
 */
public final class MptcpSocketFactory {
    private static final Logger LOG = LogManager.getLogger(MptcpSocketFactory.class);

    private final MptcpMode mode;
    private final LongAdder fallbacks = new LongAdder();
    private final AtomicBoolean fallbackLogged = new AtomicBoolean();

    public MptcpSocketFactory(MptcpMode mode) {
        this.mode = mode;
        NativeLibrary.ensureAvailable();
        // Netty's own native library registers LinuxSocket's methods; it loads with the first epoll event
        // loop, which a daemon may create only after its first socket (a start-up probe of mptcp = required).
        Epoll.ensureAvailability();
    }

    public MptcpMode mode() {
        return mode;
    }

    /** Sockets that had to be plain TCP because the kernel refused MPTCP (mode {@code preferred}). */
    public long fallbacks() {
        return fallbacks.sum();
    }

    /** A new, unbound, unconnected, non-blocking stream socket of the given family. */
    public LinuxSocket newStreamSocket(boolean ipv6) throws IOException {
        if (mode == MptcpMode.OFF) {
            return wrap(NativeIoException.check("socket(IPPROTO_TCP)", Native.socketStream(ipv6, false)));
        }
        int fd = Native.socketStream(ipv6, true);
        if (fd >= 0) {
            return wrap(fd);
        }
        int errno = -fd;
        if (!isMptcpRefusal(errno)) {
            throw new NativeIoException("socket(IPPROTO_MPTCP)", errno);
        }
        if (mode == MptcpMode.REQUIRED) {
            throw new IOException("MPTCP is required (mptcp = required) but the kernel refused IPPROTO_MPTCP: "
                    + Native.errnoName(errno) + ". Enable it with 'sysctl -w net.mptcp.enabled=1' (per network"
                    + " namespace; needs Linux >= 5.6 built with CONFIG_MPTCP), or set mptcp = preferred");
        }
        fallbacks.increment();
        if (fallbackLogged.compareAndSet(false, true)) {
            LOG.warn("kernel refused IPPROTO_MPTCP ({}): using plain TCP, one path only; enable with"
                    + " 'sysctl -w net.mptcp.enabled=1' (logged once, counted in mptcp fallbacks)", Native.errnoName(errno));
        }
        return wrap(NativeIoException.check("socket(IPPROTO_TCP)", Native.socketStream(ipv6, false)));
    }

    static boolean isMptcpRefusal(int errno) {
        return errno == Errno.EPROTONOSUPPORT || errno == Errno.ENOPROTOOPT || errno == Errno.EINVAL;
    }

    /** True when the socket was created with {@code IPPROTO_MPTCP} (whether or not a connection later fell back). */
    public static boolean isMptcpSocket(FileDescriptor fd) throws IOException {
        return NativeIoException.check("getsockopt(SO_PROTOCOL)", Native.getProtocol(fd.intValue())) == 262;
    }

    private static LinuxSocket wrap(int fd) {
        return LinuxSocket.newSocket(fd);
    }
}
