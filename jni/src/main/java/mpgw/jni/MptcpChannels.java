package mpgw.jni;

import io.netty.channel.ChannelException;
import io.netty.channel.ChannelFactory;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.epoll.LinuxSocket;
import io.netty.channel.epoll.MpgwEpollAccess;
import java.io.IOException;

/**
 * {@link ChannelFactory}s that hand MPTCP sockets to Netty as its own epoll channels, for
 * {@code Bootstrap.channelFactory(...)} and {@code ServerBootstrap.channelFactory(...)}.
 *
 * <p>The channels are plain {@link EpollSocketChannel}s and {@link EpollServerSocketChannel}s, so
 * connect, accept, auto-read, half-close, water marks, splice and every {@code EpollChannelOption}
 * behave exactly as with Netty's own. A failure to create the socket (MPTCP refused under
 * {@code required}, SO_MARK without CAP_NET_ADMIN) fails the bootstrap's future with a
 * {@link ChannelException} whose cause names the operation and errno.
 *
 * <p>The socket family is fixed per factory: pick it from the address you will connect to or bind.
 */
public final class MptcpChannels {
    private MptcpChannels() {
    }

    public static ChannelFactory<EpollSocketChannel> client(MptcpSocketFactory sockets, boolean ipv6,
                                                            ClientSocketOptions options) {
        return () -> {
            LinuxSocket socket = open(sockets, ipv6);
            try {
                SocketOptions.apply(socket, options);
            } catch (IOException e) {
                closeQuietly(socket);
                throw new ChannelException(e.getMessage(), e);
            }
            return MpgwEpollAccess.newSocketChannel(socket);
        };
    }

    public static ChannelFactory<EpollServerSocketChannel> server(MptcpSocketFactory sockets, boolean ipv6) {
        return () -> MpgwEpollAccess.newServerSocketChannel(open(sockets, ipv6));
    }

    private static LinuxSocket open(MptcpSocketFactory sockets, boolean ipv6) {
        try {
            return sockets.newStreamSocket(ipv6);
        } catch (IOException e) {
            throw new ChannelException(e.getMessage(), e);
        }
    }

    private static void closeQuietly(LinuxSocket socket) {
        try {
            socket.close();
        } catch (IOException ignored) {
            // The socket never reached Netty; nothing else holds it.
        }
    }
}
