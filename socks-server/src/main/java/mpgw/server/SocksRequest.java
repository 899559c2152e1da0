package mpgw.server;

import java.net.InetSocketAddress;

/**
 * A decoded SOCKS5 request (RFC 1928 §4), or why it could not be decoded.
 *
 * @param command     CMD byte: 1 CONNECT, 2 BIND, 3 UDP ASSOCIATE, 5 FWD UDP (hev-socks5)
 * @param destination DST.ADDR/DST.PORT; unresolved for a domain
 * @param error       non-null when the request is unusable: the reply to send before closing
 * @param detail      for the log line when {@code error} is set
 */
record SocksRequest(int command, InetSocketAddress destination,
                    io.netty.handler.codec.socksx.v5.Socks5CommandStatus error, String detail) {
    static final int CONNECT = 0x01;
    static final int BIND = 0x02;
    static final int UDP_ASSOCIATE = 0x03;
    static final int FWD_UDP = 0x05;

    static SocksRequest ok(int command, InetSocketAddress destination) {
        return new SocksRequest(command, destination, null, null);
    }

    static SocksRequest failed(io.netty.handler.codec.socksx.v5.Socks5CommandStatus error, String detail) {
        return new SocksRequest(0, null, error, detail);
    }

    String commandName() {
        switch (command) {
            case CONNECT:
                return "CONNECT";
            case BIND:
                return "BIND";
            case UDP_ASSOCIATE:
                return "UDP-ASSOCIATE";
            case FWD_UDP:
                return "FWD-UDP";
            default:
                return "0x" + Integer.toHexString(command);
        }
    }
}
