package mpgw.socks;

import io.netty.buffer.ByteBuf;
import io.netty.util.NetUtil;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import mpgw.config.Addresses;

/**
 * The SOCKS5 address field {@code ATYP DST.ADDR DST.PORT} (RFC 1928 §4/§5), shared by requests, replies,
 * UDP headers and FWD UDP frames.
 *
 * <p>Decoded IP addresses come back resolved; a domain comes back as an <em>unresolved</em>
 * {@link InetSocketAddress} whose host string is the name exactly as sent (validate it with
 * {@link #isValidDomain}). Encoding writes an IPv4-mapped IPv6 address as IPv4, and an unresolved
 * address as a domain. Stateless and thread-safe.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc1928#section-5">RFC 1928 §5</a>
 */
public final class Socks5Addresses {
    public static final int IPV4 = 0x01;
    public static final int DOMAIN = 0x03;
    public static final int IPV6 = 0x04;
    /** Returned by {@link #encodedLength(ByteBuf, int)} while the field is not complete yet. */
    public static final int INCOMPLETE = -1;

    private Socks5Addresses() {
    }

    /**
     * Length of the whole field (ATYP through port) starting at {@code index}, or {@link #INCOMPLETE}.
     * Does not move the reader index.
     *
     * @throws Socks5AddressException for an unknown ATYP (only once the ATYP byte is there)
     */
    public static int encodedLength(ByteBuf in, int index) {
        if (in.writerIndex() <= index) {
            return INCOMPLETE;
        }
        int atyp = in.getUnsignedByte(index);
        int len;
        switch (atyp) {
            case IPV4:
                len = 1 + 4 + 2;
                break;
            case IPV6:
                len = 1 + 16 + 2;
                break;
            case DOMAIN:
                if (in.writerIndex() <= index + 1) {
                    return INCOMPLETE;
                }
                len = 1 + 1 + in.getUnsignedByte(index + 1) + 2;
                break;
            default:
                throw new Socks5AddressException(atyp);
        }
        return in.writerIndex() - index >= len ? len : INCOMPLETE;
    }

    /** Reads a complete field (check {@link #encodedLength} first) and advances the reader index. */
    public static InetSocketAddress read(ByteBuf in) {
        int atyp = in.readUnsignedByte();
        switch (atyp) {
            case IPV4:
            case IPV6: {
                byte[] bytes = new byte[atyp == IPV4 ? 4 : 16];
                in.readBytes(bytes);
                int port = in.readUnsignedShort();
                try {
                    return new InetSocketAddress(InetAddress.getByAddress(bytes), port);
                } catch (UnknownHostException e) {
                    throw new AssertionError(e);
                }
            }
            case DOMAIN: {
                int n = in.readUnsignedByte();
                String name = in.readCharSequence(n, StandardCharsets.ISO_8859_1).toString();
                int port = in.readUnsignedShort();
                return InetSocketAddress.createUnresolved(name, port);
            }
            default:
                throw new Socks5AddressException(atyp);
        }
    }

    /** Writes {@code address} as ATYP, address and port. */
    public static void write(InetSocketAddress address, ByteBuf out) {
        if (address.isUnresolved()) {
            byte[] name = address.getHostString().getBytes(StandardCharsets.ISO_8859_1);
            if (name.length > 255) {
                throw new IllegalArgumentException("domain longer than 255 bytes: " + address.getHostString());
            }
            out.writeByte(DOMAIN).writeByte(name.length).writeBytes(name);
        } else {
            InetAddress ip = Addresses.normalize(address.getAddress());
            out.writeByte(ip instanceof Inet4Address ? IPV4 : IPV6).writeBytes(ip.getAddress());
        }
        out.writeShort(address.getPort());
    }

    /** Bytes {@link #write} produces for {@code address}. */
    public static int encodedLength(InetSocketAddress address) {
        if (address.isUnresolved()) {
            return 1 + 1 + address.getHostString().getBytes(StandardCharsets.ISO_8859_1).length + 2;
        }
        return Addresses.normalize(address.getAddress()) instanceof Inet6Address ? 1 + 16 + 2 : 1 + 4 + 2;
    }

    /**
     * True for a name a resolver can look up: 1-253 characters, labels of 1-63 letters, digits,
     * hyphens or underscores, an optional trailing dot; or an IP literal sent as a domain.
     */
    public static boolean isValidDomain(String name) {
        if (name.isEmpty() || name.length() > 254 || (name.length() == 254 && !name.endsWith("."))) {
            return false;
        }
        if (NetUtil.isValidIpV4Address(name) || NetUtil.isValidIpV6Address(name)) {
            return true;
        }
        String n = name.endsWith(".") ? name.substring(0, name.length() - 1) : name;
        if (n.isEmpty()) {
            return false;
        }
        for (String label : n.split("\\.", -1)) {
            if (label.isEmpty() || label.length() > 63) {
                return false;
            }
            for (int i = 0; i < label.length(); i++) {
                char c = label.charAt(i);
                boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                        || c == '-' || c == '_';
                if (!ok) {
                    return false;
                }
            }
        }
        return true;
    }
}
