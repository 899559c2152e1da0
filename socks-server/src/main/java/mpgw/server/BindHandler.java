package mpgw.server;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.handler.codec.socksx.v5.Socks5CommandStatus;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.DatagramChannel;
import java.util.concurrent.TimeUnit;
import mpgw.config.Addresses;
import mpgw.connection.ConnectionRecord;

/**
 * BIND (RFC 1928 §4): opens a listening socket for one inbound connection from DST.ADDR (the host the client
 * expects, e.g. an FTP server's data connection), with two replies:
 * <ol>
 *   <li>at once: BND.ADDR/BND.PORT, where the listener waits. The address is the one this host uses to reach
 *       DST.ADDR (found by the kernel's route lookup), or the address the client reached when DST.ADDR is
 *       unspecified (0.0.0.0 / ::);</li>
 *   <li>when the peer connects: the peer's address and port; then client and peer are relayed.</li>
 * </ol>
 * Rules: DST.ADDR is checked against {@code destinations.deny} like a CONNECT destination (port rules do not
 * apply: DST.PORT is usually 0); connections from other addresses than a specific DST.ADDR are refused and the
 * listener keeps waiting. Without a peer within {@code timeouts.connect} the second reply is 0x04 (host
 * unreachable, as for a connect timeout). The client's EOF or close ends the wait.
 *
 * <p>Threading: listener and accepted peer live on the client's event loop; no locks.
 */
final class BindHandler extends CommandHandler {
    private final ServerContext context;
    private final InetSocketAddress requested;
    private Channel listener;
    private ScheduledFuture<?> deadline;
    private InetAddress expectedPeer;
    private boolean done;

    BindHandler(ServerContext context, InetSocketAddress requested) {
        this.context = context;
        this.requested = requested;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        Channel client = ctx.channel();
        context.resolver().resolve(client.eventLoop(), requested).addListener(f -> {
            if (done || !client.isActive()) {
                return;
            }
            if (!f.isSuccess()) {
                fail(ctx, Socks5CommandStatus.HOST_UNREACHABLE, f.cause().getMessage());
                return;
            }
            InetSocketAddress peer = (InetSocketAddress) f.getNow();
            ConnectionRecord.of(client).peer(peer);
            boolean anyPeer = peer.getAddress().isAnyLocalAddress();
            String denial = anyPeer ? null : context.policy().addressDenial(peer.getAddress());
            if (denial != null) {
                fail(ctx, Socks5CommandStatus.FORBIDDEN, denial);
                return;
            }
            expectedPeer = anyPeer ? null : peer.getAddress();
            InetAddress local = anyPeer
                    ? Addresses.normalize(((InetSocketAddress) client.localAddress()).getAddress())
                    : sourceAddressTowards(peer.getAddress());
            listen(ctx, local);
        });
    }

    private void listen(ChannelHandlerContext ctx, InetAddress local) {
        Channel client = ctx.channel();
        ChannelFuture bound = new ServerBootstrap()
                .group(client.eventLoop()) // listener and peer share the client's loop: the relay needs that
                .channel(EpollServerSocketChannel.class)
                .option(ChannelOption.SO_BACKLOG, 4)
                .childOption(ChannelOption.AUTO_READ, false)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel peer) {
                        accepted(ctx, peer);
                    }
                })
                .bind(new InetSocketAddress(local, 0));
        listener = bound.channel();
        bound.addListener((ChannelFutureListener) f -> {
            if (done || !client.isActive()) {
                f.channel().close();
            } else if (!f.isSuccess()) {
                fail(ctx, Socks5CommandStatus.FAILURE, "bind: " + f.cause().getMessage());
            } else {
                context.events().replied(Socks5CommandStatus.SUCCESS);
                client.writeAndFlush(Replies.reply(ctx.alloc(), Socks5CommandStatus.SUCCESS,
                        Addresses.normalize((InetSocketAddress) f.channel().localAddress())));
                long timeout = context.settings().timeouts().connect().toMillis();
                deadline = client.eventLoop().schedule(() -> fail(ctx, Socks5CommandStatus.HOST_UNREACHABLE,
                        "no connection within " + timeout + " ms"), timeout, TimeUnit.MILLISECONDS);
            }
        });
    }

    private void accepted(ChannelHandlerContext ctx, Channel peer) {
        InetSocketAddress from = Addresses.normalize((InetSocketAddress) peer.remoteAddress());
        if (done) {
            peer.close(); // arrived while the listener was being closed
            return;
        }
        if (expectedPeer != null && !expectedPeer.equals(from.getAddress())) {
            context.events().dropped(Drop.BIND_FOREIGN_PEER);
            peer.close();
            return;
        }
        done = true;
        closeListener();
        Channel client = ctx.channel();
        ConnectionRecord.of(client).peer(from);
        Replies.grant(context, client, from);
        TcpRelayStart.join(context, client, peer, 0, false);
    }

    private void fail(ChannelHandlerContext ctx, Socks5CommandStatus status, String detail) {
        if (done) {
            return;
        }
        done = true;
        closeListener();
        Replies.refuseAndClose(context, ctx.channel(), status, detail);
    }

    private void closeListener() {
        if (deadline != null) {
            deadline.cancel(false);
        }
        if (listener != null) {
            listener.close();
        }
    }

    /** The local address the kernel would use towards {@code peer}: a UDP connect sends nothing. */
    private static InetAddress sourceAddressTowards(InetAddress peer) {
        try (DatagramChannel probe = DatagramChannel.open(peer instanceof Inet6Address
                ? java.net.StandardProtocolFamily.INET6 : java.net.StandardProtocolFamily.INET)) {
            probe.connect(new InetSocketAddress(peer, 9));
            return Addresses.normalize(((InetSocketAddress) probe.getLocalAddress()).getAddress());
        } catch (IOException e) {
            // No route: the peer could not reach us on any address either; listen on the wildcard.
            return peer instanceof Inet6Address ? Addresses.parseLiteral("::") : Addresses.parseLiteral("0.0.0.0");
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        // Client bytes before the peer exists have nowhere to go (RFC 1928 has the client wait for reply two).
        ReferenceCountUtil.release(msg);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        done = true;
        closeListener();
        ctx.fireChannelInactive();
    }

}
