package mpgw.socks;

import io.netty.handler.codec.DecoderException;

/** An address field with an ATYP other than 1 (IPv4), 3 (domain) or 4 (IPv6); a SOCKS5 server answers 0x08. */
public final class Socks5AddressException extends DecoderException {
    private final int addressType;

    public Socks5AddressException(int addressType) {
        super("unsupported SOCKS5 address type 0x" + Integer.toHexString(addressType));
        this.addressType = addressType;
    }

    public int addressType() {
        return addressType;
    }
}
