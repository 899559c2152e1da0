package mpgw.jni;

import io.netty.channel.ChannelException;
import io.netty.channel.ChannelFactory;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.socket.SocketProtocolFamily;
import java.io.IOException;

/**
 * Netty epoll datagram channels that may bind a foreign address, to answer a TPROXY client from the address it
 * sent to. IP_TRANSPARENT is set on every socket; on an IPv6 one IPV6_TRANSPARENT too, which Netty's
 * {@code EpollChannelOption.IP_TRANSPARENT} does not cover. SO_REUSEADDR lets one destination be bound once per
 * client. Needs CAP_NET_ADMIN.
 */
public final class TransparentReplyChannels {
    private TransparentReplyChannels() {
    }

    public static ChannelFactory<EpollDatagramChannel> factory(boolean ipv6) {
        return () -> {
            NativeLibrary.ensureAvailable();
            EpollDatagramChannel channel = new EpollDatagramChannel(ipv6 ? SocketProtocolFamily.INET6
                    : SocketProtocolFamily.INET);
            try {
                int fd = channel.fd().intValue();
                NativeIoException.check("setsockopt(IP_TRANSPARENT)", Native.setTransparentReceiver(fd, ipv6, 0));
                channel.config().setReuseAddress(true);
            } catch (IOException e) {
                channel.unsafe().closeForcibly();
                throw new ChannelException(e.getMessage(), e);
            }
            return channel;
        };
    }
}
