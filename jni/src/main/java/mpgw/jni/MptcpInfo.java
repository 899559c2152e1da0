package mpgw.jni;

import io.netty.channel.Channel;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A snapshot of an MPTCP connection: whether it is MPTCP at all (a plain TCP socket or an MPTCP
 * socket that fell back both read as not MPTCP), and its subflows with their counters.
 *
 * <p>Read with {@code MPTCP_FULL_INFO} (Linux >= 6.5, one consistent call) or, where that is
 * missing, {@code MPTCP_TCPINFO} + {@code MPTCP_SUBFLOW_ADDRS} (Linux >= 5.16).
 *
 * @param subflowsTotal subflows the kernel has, of which at most 8 are listed
 * @param fullInfo      true when read with MPTCP_FULL_INFO
 */
public record MptcpInfo(boolean mptcp, int subflowsTotal, List<SubflowInfo> subflows, boolean fullInfo) {
    private static final int HEADER = 16;
    private static final int RECORD = 76;
    private static final int MAX_SUBFLOWS = 8;

    /** Reads the info of an epoll channel's socket; call from any thread. */
    public static MptcpInfo of(Channel channel) throws IOException {
        return of(channel, false);
    }

    /** As {@link #of(Channel)}, forcing the pre-6.5 two-call path when {@code legacy} is true. */
    public static MptcpInfo of(Channel channel, boolean legacy) throws IOException {
        return read(SocketOptions.fd(channel), legacy);
    }

    static MptcpInfo read(int fd, boolean legacy) throws IOException {
        byte[] out = new byte[HEADER + MAX_SUBFLOWS * RECORD];
        int len = NativeIoException.check("getsockopt(SOL_MPTCP)", Native.mptcpInfo(fd, legacy, out));
        return parse(ByteBuffer.wrap(out, 0, len).order(ByteOrder.nativeOrder()));
    }

    static MptcpInfo parse(ByteBuffer buf) throws UnknownHostException {
        boolean mptcp = buf.getInt() == 1;
        int reported = buf.getInt();
        int total = buf.getInt();
        boolean fullInfo = buf.getInt() == 1;
        List<SubflowInfo> subflows = new ArrayList<>(reported);
        for (int i = 0; i < reported; i++) {
            int family = buf.getInt();
            InetSocketAddress local = address(buf, family);
            InetSocketAddress remote = address(buf, family);
            subflows.add(new SubflowInfo(local, remote, buf.getLong(), buf.getLong(), buf.getLong(), buf.getInt(),
                    buf.getInt()));
        }
        return new MptcpInfo(mptcp, total, List.copyOf(subflows), fullInfo);
    }

    private static InetSocketAddress address(ByteBuffer buf, int family) throws UnknownHostException {
        byte[] raw = new byte[16];
        buf.get(raw);
        int port = buf.getInt();
        byte[] addr = family == 2 /* AF_INET */ ? Arrays.copyOf(raw, 4) : raw;
        return new InetSocketAddress(InetAddress.getByAddress(addr), port);
    }

    /** Established subflows, the paths the connection can use now. */
    public long establishedSubflows() {
        return subflows.stream().filter(SubflowInfo::established).count();
    }
}
