package mpgw.server;

import java.io.ByteArrayOutputStream;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/** SOCKS5 bytes written out by hand, independent of the server's codecs, so tests check the wire format. */
final class Wire {
    private Wire() {
    }

    static byte[] bytes(int... values) {
        byte[] out = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = (byte) values[i];
        }
        return out;
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    /** ATYP DST.ADDR DST.PORT: IPv4, IPv6, or a domain for an unresolved address. */
    static byte[] address(InetSocketAddress a) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        if (a.isUnresolved()) {
            byte[] name = a.getHostString().getBytes(StandardCharsets.US_ASCII);
            out.write(0x03);
            out.write(name.length);
            out.writeBytes(name);
        } else {
            InetAddress ip = a.getAddress();
            out.write(ip instanceof Inet4Address ? 0x01 : 0x04);
            out.writeBytes(ip.getAddress());
        }
        out.write(a.getPort() >> 8);
        out.write(a.getPort() & 0xff);
        return out.toByteArray();
    }

    static byte[] greeting(int... methods) {
        byte[] out = new byte[2 + methods.length];
        out[0] = 5;
        out[1] = (byte) methods.length;
        for (int i = 0; i < methods.length; i++) {
            out[2 + i] = (byte) methods[i];
        }
        return out;
    }

    static byte[] login(String user, String password) {
        byte[] u = user.getBytes(StandardCharsets.US_ASCII);
        byte[] p = password.getBytes(StandardCharsets.US_ASCII);
        return concat(bytes(1, u.length), u, bytes(p.length), p);
    }

    static byte[] request(int command, InetSocketAddress destination) {
        return concat(bytes(5, command, 0), address(destination));
    }

    /** A FWD UDP frame: [u16 payload length][u8 header length = 3 + address length][ATYP ADDR PORT][payload]. */
    static byte[] fwdUdpFrame(InetSocketAddress destination, byte[] payload) {
        byte[] address = address(destination);
        return concat(bytes(payload.length >> 8, payload.length & 0xff, 3 + address.length), address, payload);
    }

    /** The SOCKS5 UDP request header (RFC 1928 §7): RSV RSV FRAG ATYP DST.ADDR DST.PORT, then the payload. */
    static byte[] udpDatagram(int fragment, InetSocketAddress destination, byte[] payload) {
        return concat(bytes(0, 0, fragment), address(destination), payload);
    }
}
