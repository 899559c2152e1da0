package io.netty.channel.epoll;

import io.netty.channel.Channel;

/**
 * The one door into Netty's epoll package that mpgw needs, kept in that package because the
 * constructors it calls are package-private.
 *
 * <p>{@code new EpollSocketChannel(int fd)} decides "active" by reading SO_ERROR, which is 0 on a
 * socket that is not connected yet, so a fresh socket would look connected, fire
 * {@code channelActive} at registration and never run Netty's connect. The package-private
 * {@code (LinuxSocket, boolean active)} constructors are the ones Netty itself uses for sockets it
 * creates ({@code new EpollSocketChannel(SocketProtocolFamily)} calls exactly that with
 * {@code false}), so channels made here behave as Netty's own in every respect.
 *
 * <p>This works on the class path (the unnamed module); Netty's jars are not sealed.
 */
public final class MpgwEpollAccess {
    private MpgwEpollAccess() {
    }

    /** A client channel over a socket that is not connected yet; Netty's connect path will run. */
    public static EpollSocketChannel newSocketChannel(LinuxSocket socket) {
        return new EpollSocketChannel(socket, false);
    }

    /** A server channel over a socket that is neither bound nor listening yet. */
    public static EpollServerSocketChannel newServerSocketChannel(LinuxSocket socket) {
        return new EpollServerSocketChannel(socket, false);
    }

    /**
     * Runs the EPOLLOUT path of an epoll channel now, as if the kernel had reported it writable.
     * Must be called on the channel's event loop. A plain {@code flush()} writes nothing while
     * EPOLLOUT is armed, so a timer that retries a stalled write has to come through here
     * (see docs on the late MPTCP write wake-up).
     */
    public static void retryPendingWrite(Channel channel) {
        if (channel instanceof AbstractEpollChannel && channel.isActive()) {
            AbstractEpollChannel epoll = (AbstractEpollChannel) channel;
            if (epoll.isFlagSet(Native.EPOLLOUT)) {
                ((AbstractEpollChannel.AbstractEpollUnsafe) epoll.unsafe()).epollOutReady();
            }
        }
    }
}
