package mpgw.server;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ConnectTimeoutException;
import io.netty.handler.codec.socksx.v5.Socks5CommandStatus;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.SocketAddress;
import java.net.UnknownHostException;
import java.nio.channels.DatagramChannel;
import mpgw.connection.ConnectionRecord;
import mpgw.socks.Socks5Addresses;

/**
 * SOCKS5 replies ({@code VER REP RSV ATYP BND.ADDR BND.PORT}, RFC 1928 §6) and the mapping from an
 * outbound failure to REP:
 *
 * <table>
 *   <caption>REP for failures</caption>
 *   <tr><td>ECONNREFUSED</td><td>0x05 connection refused</td></tr>
 *   <tr><td>EHOSTUNREACH, connect timeout, unknown name, DNS timeout</td><td>0x04 host unreachable</td></tr>
 *   <tr><td>ENETUNREACH (no route to the destination's network)</td><td>0x03 network unreachable</td></tr>
 *   <tr><td>anything else</td><td>0x01 general failure</td></tr>
 * </table>
 * A timeout is 0x04 rather than 0x06 (TTL expired) because curl and most clients print it as
 * "host unreachable", which is what a silent destination looks like to the user.
 */
final class Replies {
    private static final InetSocketAddress NO_ADDRESS = new InetSocketAddress(ipv4Any(), 0);

    private Replies() {
    }

    static ByteBuf reply(ByteBufAllocator alloc, Socks5CommandStatus status, SocketAddress bound) {
        InetSocketAddress bnd = bound instanceof InetSocketAddress ? (InetSocketAddress) bound : NO_ADDRESS;
        ByteBuf out = alloc.buffer(3 + Socks5Addresses.encodedLength(bnd));
        out.writeByte(5).writeByte(status.byteValue()).writeByte(0);
        Socks5Addresses.write(bnd, out);
        return out;
    }

    static ByteBuf failure(ByteBufAllocator alloc, Socks5CommandStatus status) {
        return reply(alloc, status, NO_ADDRESS);
    }

    /** Ends a command with a failure: recorded for the connection's log line, counted, replied, then closed. */
    static void refuseAndClose(ServerContext context, Channel client, Socks5CommandStatus status, String detail) {
        ConnectionRecord.of(client).refused(ConnectionRecord.replyName(status), detail);
        context.events().replied(status);
        client.writeAndFlush(failure(client.alloc(), status)).addListener(ChannelFutureListener.CLOSE);
    }

    /** Grants a command: counted, replied with {@code bound}. */
    static void grant(ServerContext context, Channel client, SocketAddress bound) {
        context.events().replied(Socks5CommandStatus.SUCCESS);
        client.writeAndFlush(reply(client.alloc(), Socks5CommandStatus.SUCCESS, bound));
    }

    /** REP for an outbound connect (or resolve) failure. */
    static Socks5CommandStatus forConnectFailure(Throwable cause, InetSocketAddress destination) {
        if (cause instanceof ConnectTimeoutException || cause instanceof UnknownHostException) {
            return Socks5CommandStatus.HOST_UNREACHABLE;
        }
        if (cause instanceof NoRouteToHostException) {
            // Netty's epoll transport reports ENETUNREACH and EHOSTUNREACH as the same exception; the
            // kernel's route lookup for a UDP connect tells them apart without sending a packet.
            return hasRoute(destination) ? Socks5CommandStatus.HOST_UNREACHABLE
                    : Socks5CommandStatus.NETWORK_UNREACHABLE;
        }
        if (cause instanceof ConnectException) {
            String m = String.valueOf(cause.getMessage());
            if (m.contains("refused")) {
                return Socks5CommandStatus.CONNECTION_REFUSED;
            }
            if (m.contains("unreachable") && m.contains("etwork")) {
                return Socks5CommandStatus.NETWORK_UNREACHABLE;
            }
            if (m.contains("timed out") || m.contains("No route")) {
                return Socks5CommandStatus.HOST_UNREACHABLE;
            }
        }
        return Socks5CommandStatus.FAILURE;
    }

    private static boolean hasRoute(InetSocketAddress destination) {
        try (DatagramChannel probe = DatagramChannel.open()) {
            probe.connect(new InetSocketAddress(destination.getAddress(), Math.max(1, destination.getPort())));
            return true;
        } catch (IOException e) {
            return !String.valueOf(e.getMessage()).contains("Network is unreachable");
        }
    }

    private static InetAddress ipv4Any() {
        try {
            return InetAddress.getByAddress(new byte[4]);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }
}
