package mpgw.gateway.upstream;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.socksx.v5.DefaultSocks5CommandRequest;
import io.netty.handler.codec.socksx.v5.DefaultSocks5InitialRequest;
import io.netty.handler.codec.socksx.v5.DefaultSocks5PasswordAuthRequest;
import io.netty.handler.codec.socksx.v5.Socks5AddressType;
import io.netty.handler.codec.socksx.v5.Socks5AuthMethod;
import io.netty.handler.codec.socksx.v5.Socks5ClientEncoder;
import io.netty.handler.codec.socksx.v5.Socks5CommandType;
import io.netty.handler.codec.socksx.v5.Socks5Message;
import io.netty.util.NetUtil;
import java.net.Inet6Address;
import java.net.InetSocketAddress;

/**
 * Netty's {@link Socks5ClientEncoder} used as a plain writer, so the gateway can put several SOCKS5 messages
 * (and early data) into one buffer for a pipelined handshake. Stateless; any thread.
 */
public final class Socks5RequestWriter extends Socks5ClientEncoder {
    public static final Socks5RequestWriter INSTANCE = new Socks5RequestWriter();

    private Socks5RequestWriter() {
    }

    /** Greeting offering exactly one method: the one the gateway will use, so a pipelined auth step is safe. */
    public void greeting(boolean password, ByteBuf out) {
        write(new DefaultSocks5InitialRequest(password ? Socks5AuthMethod.PASSWORD : Socks5AuthMethod.NO_AUTH), out);
    }

    /** RFC 1929 username/password request. */
    public void credentials(String username, String password, ByteBuf out) {
        write(new DefaultSocks5PasswordAuthRequest(username, password), out);
    }

    /** CONNECT to an IP destination (intercepted flows always have one). */
    void connect(InetSocketAddress destination, ByteBuf out) {
        request(Socks5CommandType.CONNECT, destination, out);
    }

    /** A request with any command (CONNECT, UDP ASSOCIATE, FWD UDP 0x05) and an IP address. */
    void request(Socks5CommandType command, InetSocketAddress destination, ByteBuf out) {
        Socks5AddressType type = destination.getAddress() instanceof Inet6Address
                ? Socks5AddressType.IPv6 : Socks5AddressType.IPv4;
        write(new DefaultSocks5CommandRequest(command, type,
                NetUtil.toAddressString(destination.getAddress()), destination.getPort()), out);
    }

    private void write(Socks5Message message, ByteBuf out) {
        try {
            encode(null, message, out); // the encoder never touches the context
        } catch (Exception e) {
            throw new IllegalArgumentException("cannot encode " + message + ": " + e.getMessage(), e);
        }
    }
}
