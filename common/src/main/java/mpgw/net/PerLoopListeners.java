package mpgw.net;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.util.concurrent.EventExecutor;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * One listening socket per event loop on one address (SO_REUSEPORT): the kernel spreads new connections over
 * them and each connection stays on the loop that accepted it. With a single listener every accepted connection
 * is handed to another loop, which costs a wake-up of that loop's thread per connection.
 *
 * <p>SO_REUSEPORT would also let a second daemon (or anything else that sets it) bind the same port and silently
 * take part of the connections, so a listener without it must get the port first, alone; it also resolves port
 * 0. It is closed before the group binds.
 */
public final class PerLoopListeners {
    private PerLoopListeners() {
    }

    /** Why a listener could not be bound; the cause is the bind's. */
    public static final class BindFailure extends Exception {
        BindFailure(Throwable cause) {
            super(cause.getMessage(), cause);
        }
    }

    /**
     * Binds {@code address} on every loop of {@code group}, each with {@code bootstrap}'s options and handlers
     * (its groups are set here). On failure nothing stays bound.
     */
    public static List<Channel> bind(EventLoopGroup group, InetSocketAddress address,
                                     Supplier<ServerBootstrap> bootstrap) throws BindFailure {
        Channel probe = bindOne(bootstrap.get(), group.next(), address, false);
        InetSocketAddress resolved = (InetSocketAddress) probe.localAddress();
        probe.close().awaitUninterruptibly();
        List<Channel> bound = new ArrayList<>();
        try {
            for (EventExecutor executor : group) {
                bound.add(bindOne(bootstrap.get(), (EventLoop) executor, resolved, true));
            }
        } catch (BindFailure e) {
            bound.forEach(ch -> ch.close().awaitUninterruptibly());
            throw e;
        }
        return bound;
    }

    private static Channel bindOne(ServerBootstrap b, EventLoop loop, InetSocketAddress address, boolean reusePort)
            throws BindFailure {
        ChannelFuture f = b.group(loop, loop).option(EpollChannelOption.SO_REUSEPORT, reusePort).bind(address)
                .awaitUninterruptibly();
        if (!f.isSuccess()) {
            throw new BindFailure(f.cause());
        }
        return f.channel();
    }
}
