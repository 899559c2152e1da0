package mpgw.gateway.upstream;

import io.netty.channel.ChannelHandler;
import io.netty.handler.codec.socksx.v5.Socks5AddressType;
import io.netty.handler.codec.socksx.v5.Socks5AuthMethod;
import io.netty.handler.codec.socksx.v5.Socks5CommandResponse;
import io.netty.handler.codec.socksx.v5.Socks5CommandResponseDecoder;
import io.netty.handler.codec.socksx.v5.Socks5CommandStatus;
import io.netty.handler.codec.socksx.v5.Socks5CommandType;
import io.netty.handler.codec.socksx.v5.Socks5InitialResponse;
import io.netty.handler.codec.socksx.v5.Socks5InitialResponseDecoder;
import io.netty.handler.codec.socksx.v5.Socks5Message;
import io.netty.handler.codec.socksx.v5.Socks5PasswordAuthResponse;
import io.netty.handler.codec.socksx.v5.Socks5PasswordAuthResponseDecoder;
import io.netty.handler.codec.socksx.v5.Socks5PasswordAuthStatus;
import io.netty.util.NetUtil;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import mpgw.config.Addresses;
import mpgw.gateway.upstream.Socks5ClientHandshake.Opening;
import mpgw.gateway.upstream.Socks5HandshakeException.Kind;

/**
 * The reply side of {@link Socks5ClientHandshake}: which reply comes next, whether the decoded reply that came
 * lets the handshake go on, what the client sends then, and the words for each failure. Event-loop only.
 */
final class Socks5ReplyCheck {
    /** What the handshake does after a good reply. */
    enum Next { WAIT, SEND_CREDENTIALS, SEND_COMMAND, SUCCEEDED }

    private enum State { METHOD_REPLY, AUTH_REPLY, COMMAND_REPLY, DONE }

    private final Socks5ClientSettings settings;
    private final Socks5CommandType command;
    private final Socks5AuthMethod wanted;
    private State state;
    private Next next = Next.WAIT;
    private final String prefix;
    private InetSocketAddress bound;
    private boolean answeredGreeting;

    /** @param command null for a greeting-only handshake */
    Socks5ReplyCheck(InetSocketAddress proxy, InetSocketAddress destination, Socks5ClientSettings settings,
                     Socks5CommandType command, Opening opening) {
        // Starts every failure message: "socks5 proxy=A:P dest=B:Q ".
        this.prefix = "socks5 proxy=" + Addresses.format(proxy)
                + (command == null ? "" : " dest=" + Addresses.format(destination)) + " ";
        this.settings = settings;
        this.command = command;
        this.wanted = settings.authenticates() ? Socks5AuthMethod.PASSWORD : Socks5AuthMethod.NO_AUTH;
        this.state = opening == Opening.GREETED ? State.COMMAND_REPLY : State.METHOD_REPLY;
    }

    /** The codec-socks decoders for the replies to come, in their order. */
    List<ChannelHandler> decoders() {
        List<ChannelHandler> decoders = new ArrayList<>(3);
        if (state == State.METHOD_REPLY) {
            decoders.add(new Socks5InitialResponseDecoder());
            if (settings.authenticates()) {
                decoders.add(new Socks5PasswordAuthResponseDecoder());
            }
        }
        if (command != null) {
            decoders.add(new Socks5CommandResponseDecoder());
        }
        return decoders;
    }

    /** Takes the next decoded reply: null when it is good (then see {@link #next()}), else the failure. */
    Socks5HandshakeException accept(Socks5Message reply) {
        if (reply.decoderResult().isFailure()) {
            // The decoder's message can quote the server's bytes (a DOMAIN BND.ADDR): escaped, as it reaches the log
            // (found by Socks5ClientHandshakeFuzzTest: a control character in an IDN error).
            return failure(Kind.PROTOCOL, "bad " + awaited() + ": "
                    + escaped(reply.decoderResult().cause().getMessage()));
        }
        next = Next.WAIT;
        if (state == State.METHOD_REPLY && reply instanceof Socks5InitialResponse r) {
            if (r.authMethod().equals(Socks5AuthMethod.UNACCEPTED)) {
                return failure(Kind.PROTOCOL, "server accepts none of the offered auth methods (offered 0x0"
                        + wanted.byteValue() + ")");
            }
            if (!r.authMethod().equals(wanted)) {
                return failure(Kind.PROTOCOL, "server chose auth method 0x"
                        + Integer.toHexString(r.authMethod().byteValue() & 0xff) + ", offered only 0x0"
                        + wanted.byteValue());
            }
            if (settings.authenticates()) {
                state = State.AUTH_REPLY;
                next = settings.pipelined() ? Next.WAIT : Next.SEND_CREDENTIALS;
            } else {
                greeted();
            }
            return null;
        }
        if (state == State.AUTH_REPLY && reply instanceof Socks5PasswordAuthResponse r) {
            if (!r.status().equals(Socks5PasswordAuthStatus.SUCCESS)) {
                return failure(Kind.AUTH_REFUSED, "authentication failed for user '" + settings.username()
                        + "' (status 0x" + Integer.toHexString(r.status().byteValue() & 0xff) + ")");
            }
            greeted();
            return null;
        }
        if (state == State.COMMAND_REPLY && reply instanceof Socks5CommandResponse r) {
            int code = r.status().byteValue() & 0xff;
            if (!r.status().equals(Socks5CommandStatus.SUCCESS)) {
                return new Socks5HandshakeException(prefix, "status=" + r.status() + " (reply 0x"
                        + String.format("%02x", code) + ")", code, Kind.REFUSED);
            }
            bound = boundAddress(r);
            state = State.DONE;
            next = Next.SUCCEEDED;
            return null;
        }
        return failure(Kind.PROTOCOL, "unexpected " + reply.getClass().getSimpleName() + " while waiting for the "
                + awaited());
    }

    /** {@code text} escaped as {@link mpgw.connection.LogText#quoted} does, without the quotes. */
    private static String escaped(String text) {
        String q = mpgw.connection.LogText.quoted(text);
        return q.substring(1, q.length() - 1);
    }

    private void greeted() {
        answeredGreeting = true;
        if (command == null) {
            state = State.DONE;
            next = Next.SUCCEEDED;
        } else {
            state = State.COMMAND_REPLY;
            next = settings.pipelined() ? Next.WAIT : Next.SEND_COMMAND;
        }
    }

    private static InetSocketAddress boundAddress(Socks5CommandResponse r) {
        if (r.bndAddrType().equals(Socks5AddressType.DOMAIN)) {
            return InetSocketAddress.createUnresolved(r.bndAddr(), r.bndPort());
        }
        return new InetSocketAddress(NetUtil.createInetAddressFromIpAddressString(r.bndAddr()), r.bndPort());
    }

    /** What the last good reply asks for. */
    Next next() {
        return next;
    }

    /** BND.ADDR:BND.PORT of a successful command reply; null otherwise. */
    InetSocketAddress boundAddress() {
        return bound;
    }

    /** True while the command reply is the next reply due. */
    boolean awaitsCommandReply() {
        return state == State.COMMAND_REPLY;
    }

    /** True once the handshake succeeded or failed. */
    boolean done() {
        return state == State.DONE;
    }

    void end() {
        state = State.DONE;
    }

    /** The reply being waited for, in words: {@code method reply}, {@code auth reply}, {@code CONNECT reply}. */
    String awaited() {
        return switch (state) {
            case METHOD_REPLY -> "method reply";
            case AUTH_REPLY -> "auth reply";
            case COMMAND_REPLY, DONE -> command == null || command.equals(Socks5CommandType.CONNECT)
                    ? "CONNECT reply" : "command reply";
        };
    }

    Socks5HandshakeException timeout(long millis) {
        if (state == State.COMMAND_REPLY && settings.pipelined() && answeredGreeting) {
            // What microsocks does: it reads the greeting with one recv, drops the request behind it, and waits.
            return failure(Kind.TIMEOUT, "answered the method selection but not the pipelined request within "
                    + millis + " ms: the server may drop pipelined bytes (microsocks does); set"
                    + " gateway.socks.pipelined = auto or off");
        }
        return failure(Kind.TIMEOUT, "timeout after " + millis + " ms waiting for the " + awaited());
    }

    Socks5HandshakeException failure(Kind kind, String what) {
        return new Socks5HandshakeException(prefix, what, Socks5HandshakeException.NO_REPLY, kind);
    }
}
