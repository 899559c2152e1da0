package mpgw.config;

import java.net.InetAddress;
import java.util.Arrays;

/**
 * An address block such as {@code 10.0.0.0/8} or {@code fe80::/10}; a bare address is a /32 or /128.
 * IPv4-mapped IPv6 addresses ({@code ::ffff:10.1.2.3}) match IPv4 blocks: {@link #contains} unmaps first.
 *
 * <p>Immutable and thread-safe.
 */
public final class Cidr {
    private final byte[] network;
    private final int prefix;
    private final String text;

    private Cidr(byte[] network, int prefix, String text) {
        this.network = network;
        this.prefix = prefix;
        this.text = text;
    }

    /** Parses {@code address[/prefix]}; only literals, never DNS names. */
    public static Cidr parse(String s) {
        String t = s.trim();
        int slash = t.indexOf('/');
        String addr = slash < 0 ? t : t.substring(0, slash);
        byte[] bytes = Addresses.parseLiteral(addr).getAddress();
        int max = bytes.length * 8;
        int prefix = max;
        if (slash >= 0) {
            try {
                prefix = Integer.parseInt(t.substring(slash + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("bad prefix length in '" + s + "'");
            }
            if (prefix < 0 || prefix > max) {
                throw new IllegalArgumentException("prefix length must be 0.." + max + " in '" + s + "'");
            }
        }
        return new Cidr(mask(bytes, prefix), prefix, t);
    }

    public boolean contains(InetAddress address) {
        byte[] a = Addresses.normalize(address).getAddress();
        return a.length == network.length && Arrays.equals(mask(a, prefix), network);
    }

    private static byte[] mask(byte[] bytes, int prefix) {
        byte[] out = bytes.clone();
        for (int i = 0; i < out.length; i++) {
            int bits = Math.max(0, Math.min(8, prefix - i * 8));
            out[i] &= (byte) (0xff << (8 - bits));
        }
        return out;
    }

    @Override
    public String toString() {
        return text;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Cidr && ((Cidr) o).prefix == prefix && Arrays.equals(((Cidr) o).network, network);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(network) * 31 + prefix;
    }
}
