package mpgw.gateway.upstream;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.socksx.v5.DefaultSocks5CommandRequest;
import io.netty.handler.codec.socksx.v5.DefaultSocks5InitialRequest;
import io.netty.handler.codec.socksx.v5.DefaultSocks5PasswordAuthRequest;
import io.netty.handler.codec.socksx.v5.Socks5AddressType;
import io.netty.handler.codec.socksx.v5.Socks5AuthMethod;
import io.netty.handler.codec.socksx.v5.Socks5ClientEncoder;
import io.netty.handler.codec.socksx.v5.Socks5CommandRequest;
import io.netty.handler.codec.socksx.v5.Socks5CommandType;
import io.netty.handler.codec.socksx.v5.Socks5Message;
import io.netty.util.NetUtil;
import io.netty.util.concurrent.FastThreadLocal;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * Every SOCKS5 request the gateway sends (<a href="https://www.rfc-editor.org/rfc/rfc1928">RFC 1928</a>, with
 * <a href="https://www.rfc-editor.org/rfc/rfc1929">RFC 1929</a> username/password): codec-socks message types,
 * encoded by codec-socks' {@link Socks5ClientEncoder}.
 *
 * <p>The messages that go before the first reply are encoded into one buffer ({@link #opening}): a fast-open
 * connect puts only the first queued buffer into the SYN, and a pipelined handshake sends them in one write. The
 * encoder runs in a pipeline, so it runs here on an {@link EmbeddedChannel} of the calling thread.
 *
 * <p>Stateless apart from that per-thread channel; any thread.
 */
public final class Socks5Requests {
    /** hev-socks5's FWD UDP: datagrams framed inside this TCP stream, to any destination. */
    public static final Socks5CommandType FWD_UDP = Socks5CommandType.valueOf((byte) 0x05);

    private static final FastThreadLocal<EmbeddedChannel> ENCODER = new FastThreadLocal<>() {
        @Override
        protected EmbeddedChannel initialValue() {
            return new EmbeddedChannel(Socks5ClientEncoder.DEFAULT);
        }
    };

    private Socks5Requests() {
    }

    /** The greeting: it offers exactly the method the gateway will use, so a pipelined auth step is safe. */
    static Socks5Message greeting(Socks5ClientSettings settings) {
        return new DefaultSocks5InitialRequest(settings.authenticates() ? Socks5AuthMethod.PASSWORD
                : Socks5AuthMethod.NO_AUTH);
    }

    static Socks5Message credentials(Socks5ClientSettings settings) {
        return new DefaultSocks5PasswordAuthRequest(settings.username(), settings.password());
    }

    /** CONNECT, UDP ASSOCIATE or FWD UDP, to an IP destination (intercepted flows always have one). */
    static Socks5CommandRequest command(Socks5CommandType command, InetSocketAddress destination) {
        Socks5AddressType type = destination.getAddress() instanceof Inet6Address
                ? Socks5AddressType.IPv6 : Socks5AddressType.IPv4;
        return new DefaultSocks5CommandRequest(command, type, NetUtil.toAddressString(destination.getAddress()),
                destination.getPort());
    }

    /**
     * What the client sends before the first reply: the greeting and, when pipelined, the credentials and the
     * command request too. With a null {@code command} (a greeting-only handshake) the request is left out.
     */
    public static ByteBuf opening(Socks5ClientSettings settings, Socks5CommandType command,
                                  InetSocketAddress destination, ByteBufAllocator alloc) {
        List<Socks5Message> messages = new ArrayList<>(3);
        messages.add(greeting(settings));
        if (settings.pipelined()) {
            if (settings.authenticates()) {
                messages.add(credentials(settings));
            }
            if (command != null) {
                messages.add(command(command, destination));
            }
        }
        return encode(alloc, messages);
    }

    /** The messages, encoded one after the other into one buffer the caller owns. */
    static ByteBuf encode(ByteBufAllocator alloc, List<Socks5Message> messages) {
        EmbeddedChannel encoder = ENCODER.get();
        for (Socks5Message m : messages) {
            encoder.writeOneOutbound(m, encoder.voidPromise());
        }
        encoder.flushOutbound();
        ByteBuf out = alloc.buffer();
        ByteBuf encoded;
        while ((encoded = encoder.readOutbound()) != null) {
            out.writeBytes(encoded);
            encoded.release();
        }
        try {
            encoder.checkException();
        } catch (RuntimeException e) { // a field too long for its length byte, say
            out.release();
            throw new IllegalArgumentException("cannot encode " + messages + ": " + e.getMessage(), e);
        }
        return out;
    }

    static ByteBuf encode(ByteBufAllocator alloc, Socks5Message message) {
        return encode(alloc, List.of(message));
    }
}
