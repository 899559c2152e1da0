package mpgw.socks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * Encode/decode round trips (jqwik properties) for the SOCKS5 address field, the UDP ASSOCIATE header and FWD UDP
 * frames: whatever one side writes, the other reads back as the same thing, whichever way TCP splits it.
 * Addresses: any IPv4, any IPv6 that is not IPv4-mapped (that one is written as IPv4 on purpose, see
 * {@link Socks5Addresses}), and unresolved names of 0-255 ISO-8859-1 characters (the field carries bytes).
 */
class Socks5RoundTripProperties {
    @Provide
    Arbitrary<InetSocketAddress> addresses() {
        return addresses(255);
    }

    /** The address of a FWD UDP frame: a domain has at most {@link FwdUdpFrame#MAX_DOMAIN} bytes there. */
    @Provide
    Arbitrary<InetSocketAddress> frameAddresses() {
        return addresses(FwdUdpFrame.MAX_DOMAIN);
    }

    private static Arbitrary<InetSocketAddress> addresses(int maxDomain) {
        Arbitrary<Integer> ports = Arbitraries.integers().between(0, 0xffff);
        Arbitrary<InetAddress> v4 = Arbitraries.bytes().array(byte[].class).ofSize(4).map(Socks5RoundTripProperties::ip);
        Arbitrary<InetAddress> v6 = Arbitraries.bytes().array(byte[].class).ofSize(16)
                .filter(b -> !isMapped(b)).map(Socks5RoundTripProperties::ip);
        Arbitrary<InetSocketAddress> ips = Combinators.combine(Arbitraries.oneOf(v4, v6), ports)
                .as(InetSocketAddress::new);
        Arbitrary<InetSocketAddress> names = Combinators.combine(
                Arbitraries.strings().withCharRange('\u0000', '\u00ff').ofMinLength(0).ofMaxLength(maxDomain), ports)
                .as(InetSocketAddress::createUnresolved);
        return Arbitraries.oneOf(ips, names);
    }

    @Property
    void addressFieldRoundTrips(@ForAll("addresses") InetSocketAddress address) {
        ByteBuf buf = Unpooled.buffer();
        Socks5Addresses.write(address, buf);
        assertEquals(Socks5Addresses.encodedLength(address), buf.readableBytes());
        assertEquals(buf.readableBytes(), Socks5Addresses.encodedLength(buf, 0));
        assertEquals(Socks5Addresses.INCOMPLETE, Socks5Addresses.encodedLength(buf.slice(0, buf.readableBytes() - 1), 0),
                "one byte short is incomplete");
        assertEquals(address, Socks5Addresses.read(buf));
        assertFalse(buf.isReadable());
    }

    @Property
    void udpHeaderRoundTrips(@ForAll("addresses") InetSocketAddress address, @ForAll @Size(max = 64) byte[] data) {
        ByteBuf buf = Unpooled.buffer();
        Socks5UdpHeader.write(address, buf);
        assertEquals(Socks5UdpHeader.encodedLength(address), buf.readableBytes());
        buf.writeBytes(data);
        assertEquals(new Socks5UdpHeader(0, address), Socks5UdpHeader.read(buf));
        assertArrayEquals(data, ByteBufUtil.getBytes(buf));
    }

    @Property(tries = 200)
    void fwdUdpFramesRoundTripInAnySplit(@ForAll("frames") List<Frame> frames,
                                         @ForAll @IntRange(min = 1, max = 70) int piece) {
        EmbeddedChannel encoder = new EmbeddedChannel(FwdUdpFrameEncoder.INSTANCE);
        for (Frame f : frames) {
            encoder.writeOutbound(new FwdUdpFrame(f.address(), Unpooled.wrappedBuffer(f.payload())));
        }
        ByteBuf wire = Unpooled.buffer();
        for (ByteBuf b; (b = encoder.readOutbound()) != null; ) {
            wire.writeBytes(b);
            b.release();
        }
        assertFalse(encoder.finish());
        EmbeddedChannel decoder = new EmbeddedChannel(new FwdUdpFrameDecoder());
        while (wire.isReadable()) {
            decoder.writeInbound(wire.readRetainedSlice(Math.min(piece, wire.readableBytes())));
        }
        wire.release();
        List<Frame> decoded = new ArrayList<>();
        for (FwdUdpFrame f; (f = decoder.readInbound()) != null; ) {
            decoded.add(new Frame(f.address(), ByteBufUtil.getBytes(f.content())));
            f.release();
        }
        assertFalse(decoder.finish());
        assertEquals(frames, decoded);
    }

    /**
     * Found by {@link #fwdUdpFramesRoundTripInAnySplit} with a 253-byte domain: HDR.LEN is one byte, and the encoder
     * wrote 3 + 257 = 260 as 4, so the peer saw a corrupt stream and dropped the whole FWD UDP session. Now the
     * longest domain that fits round-trips and one byte more is refused before anything is written.
     */
    @net.jqwik.api.Example
    void aFrameHeaderLongerThanOneByteCanCountIsRefused() {
        EmbeddedChannel encoder = new EmbeddedChannel(FwdUdpFrameEncoder.INSTANCE);
        InetSocketAddress longest = InetSocketAddress.createUnresolved("a".repeat(FwdUdpFrame.MAX_DOMAIN), 53);
        encoder.writeOutbound(new FwdUdpFrame(longest, Unpooled.wrappedBuffer(new byte[] {1})));
        ByteBuf wire = encoder.readOutbound();
        assertEquals(255, wire.getUnsignedByte(2), "HDR.LEN of the longest domain");
        EmbeddedChannel decoder = new EmbeddedChannel(new FwdUdpFrameDecoder());
        decoder.writeInbound(wire);
        FwdUdpFrame back = decoder.readInbound();
        assertEquals(longest, back.address());
        back.release();
        assertFalse(decoder.finish());

        FwdUdpFrame tooLong = new FwdUdpFrame(
                InetSocketAddress.createUnresolved("a".repeat(FwdUdpFrame.MAX_DOMAIN + 1), 53),
                Unpooled.wrappedBuffer(new byte[] {1}));
        io.netty.handler.codec.EncoderException e = org.junit.jupiter.api.Assertions.assertThrows(
                io.netty.handler.codec.EncoderException.class, () -> encoder.writeOutbound(tooLong));
        org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("exceeds 255"), e.getMessage());
        assertEquals(0, tooLong.refCnt(), "the refused frame is released");
        assertFalse(encoder.finish(), "nothing written");
    }

    /** A frame with value equality (arrays compared by content). */
    record Frame(InetSocketAddress address, byte[] payload) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Frame f && f.address.equals(address) && java.util.Arrays.equals(f.payload, payload);
        }

        @Override
        public int hashCode() {
            return address.hashCode() * 31 + java.util.Arrays.hashCode(payload);
        }
    }

    @Provide
    Arbitrary<List<Frame>> frames() {
        Arbitrary<byte[]> payloads = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(20, Arbitraries.bytes().array(byte[].class).ofMaxSize(100)),
                net.jqwik.api.Tuple.of(1, Arbitraries.bytes().array(byte[].class).ofSize(FwdUdpFrame.MAX_PAYLOAD)));
        return Combinators.combine(frameAddresses(), payloads).as(Frame::new).list().ofMaxSize(5);
    }

    private static boolean isMapped(byte[] b) {
        for (int i = 0; i < 10; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        return b[10] == (byte) 0xff && b[11] == (byte) 0xff;
    }

    private static InetAddress ip(byte[] bytes) {
        try {
            return InetAddress.getByAddress(bytes);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }
}
