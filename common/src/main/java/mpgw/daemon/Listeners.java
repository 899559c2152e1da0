package mpgw.daemon;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.NetUtil;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import mpgw.config.Addresses;
import mpgw.relay.ConnectionReset;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * A daemon's listening sockets and the connections they accepted, with the start and stop both daemons share:
 * {@link #bind} turns a bind failure into a {@link DaemonStartException} that says why in words
 * ({@code cannot listen on 10.1.0.2:1080: address already in use (another server running?)}); {@link #stop}
 * closes the listeners, lets open connections finish for the grace period ({@code shutdown-grace}) and closes
 * the rest.
 *
 * <p>Threading: {@link #track} from any event loop; {@link #bind}, {@link #addresses} and {@link #stop} are
 * synchronized, for the start-up and shutdown threads.
 */
public final class Listeners {
    private static final Logger LOG = LogManager.getLogger(Listeners.class);

    /**
     * The accept queue of every listener: the kernel's {@code net.core.somaxconn} (4096 since Linux 5.4, raised
     * with that sysctl), read by Netty. It was a fixed 1024: in the soak (issue 16) 6,476 flows opened at 1,000/s
     * while the gateway was busy overflowed it: the kernel dropped ~12,000 completed handshakes per daemon and run
     * (TcpExtListenOverflows), which the clients saw as stalls and, likely, ~400 held flows as resets later, none
     * of them ever seen by the daemon.
     */
    public static final int BACKLOG = NetUtil.SOMAXCONN;

    private final String daemon;
    private final String connections;
    private final String permissionHint;
    private final ChannelGroup accepted;
    private final List<Channel> listeners = new ArrayList<>();

    /**
     * @param daemon         names the daemon in "another ... running?"
     * @param connections    what the accepted connections are called in the shutdown log lines ("flows")
     * @param permissionHint what a permission-denied bind needs, e.g. "ports below 1024 need root or ..."
     */
    public Listeners(String daemon, String connections, String permissionHint) {
        this.daemon = daemon;
        this.connections = connections;
        this.permissionHint = permissionHint;
        this.accepted = new DefaultChannelGroup(connections, GlobalEventExecutor.INSTANCE);
    }

    /** Counts {@code ch} among the open connections until it closes; call when it is accepted. */
    public void track(Channel ch) {
        accepted.add(ch);
    }

    /**
     * Binds {@code bootstrap} to {@code address} with the accept queue {@link #BACKLOG} and keeps the listener; a
     * failure says why, with the address.
     */
    public synchronized void bind(ServerBootstrap bootstrap, InetSocketAddress address) throws DaemonStartException {
        bootstrap.option(ChannelOption.SO_BACKLOG, BACKLOG);
        ChannelFuture bound = bootstrap.bind(address).awaitUninterruptibly();
        if (!bound.isSuccess()) {
            throw new DaemonStartException("cannot listen on " + Addresses.format(address) + ": "
                    + reason(bound.cause()), bound.cause());
        }
        listeners.add(bound.channel());
    }

    /** The bound listener addresses (ports resolved when 0 was configured). */
    public synchronized List<InetSocketAddress> addresses() {
        return listeners.stream().map(ch -> Addresses.normalize((InetSocketAddress) ch.localAddress())).toList();
    }

    /** Stops accepting, waits up to {@code grace} for open connections to end, then cuts the rest. */
    public synchronized void stop(Duration grace) {
        for (Channel l : listeners) {
            l.close().awaitUninterruptibly();
        }
        listeners.clear();
        long deadline = System.nanoTime() + grace.toNanos();
        if (!accepted.isEmpty()) {
            LOG.info("stopped accepting; waiting up to {} ms for {} open {}", grace.toMillis(), accepted.size(),
                    connections);
        }
        while (!accepted.isEmpty() && System.nanoTime() < deadline) {
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (!accepted.isEmpty()) {
            LOG.info("cutting {} {} still open after the grace period (reset, logged as cut)", accepted.size(),
                    connections);
            // A reset on both sides, never a FIN: a transfer cut here must not look complete (issue 16 D4).
            for (Channel ch : accepted) {
                ch.eventLoop().execute(() -> ConnectionReset.cut(ch));
            }
            accepted.newCloseFuture().awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
    }

    private String reason(Throwable cause) {
        Throwable c = cause.getCause() != null && cause.getMessage() == null ? cause.getCause() : cause;
        String m = c.getMessage();
        if (m != null && m.contains("Address already in use")) {
            return "address already in use (another " + daemon + " running?)";
        }
        if (m != null && m.contains("Cannot assign requested address")) {
            return "no such local address";
        }
        if (m != null && m.contains("Permission denied")) {
            return "permission denied (" + permissionHint + ")";
        }
        return m == null ? c.toString() : m;
    }
}
