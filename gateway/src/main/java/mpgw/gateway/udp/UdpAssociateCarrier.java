package mpgw.gateway.udp;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.socksx.v5.Socks5CommandType;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import mpgw.config.Addresses;
import mpgw.gateway.upstream.Socks5ClientHandshake;
import mpgw.gateway.upstream.Socks5ClientSettings;
import mpgw.gateway.upstream.UpstreamConnector;
import mpgw.gateway.upstream.WarmUpstreams;
import mpgw.jni.SocketOptions;
import mpgw.socks.Socks5UdpHeader;

/**
 * {@code udp.mode = associate}: standard UDP ASSOCIATE (<a href="https://www.rfc-editor.org/rfc/rfc1928#section-7">
 * RFC 1928 §7</a>) for third-party servers such as Dante. Per session: the control connection over MPTCP (it
 * lives as long as the session), and one UDP socket bound to the control connection's local address, so the
 * server sees datagrams from the client address it expects. Datagrams carry the SOCKS5 UDP header and go to
 * BND.ADDR:BND.PORT of the reply (or to the server's address when BND.ADDR is the wildcard, which some servers
 * send). The datagrams themselves travel as plain UDP, over one path.
 */
final class UdpAssociateCarrier implements UdpCarrier {
    /** Largest relay datagram: the RFC 1928 header plus the largest UDP payload, rounded up. */
    private static final int MAX_RELAY_DATAGRAM = 65536;

    private final UpstreamConnector connector;
    private final Socks5ClientSettings socks;
    private final int mark;

    UdpAssociateCarrier(UpstreamConnector connector, Socks5ClientSettings socks, int mark) {
        this.connector = connector;
        this.socks = socks;
        this.mark = mark;
    }

    @Override
    public UdpTunnel open(EventLoop loop, InetSocketAddress client, UdpTunnel.Listener listener) {
        AssociateTunnel tunnel = new AssociateTunnel(listener);
        tunnel.start(loop, connector, WarmUpstreams.NONE, socks, Socks5CommandType.UDP_ASSOCIATE);
        return tunnel;
    }

    private final class AssociateTunnel extends SocksCommandTunnel {
        private Channel udp;
        private InetSocketAddress relay;

        AssociateTunnel(Listener listener) {
            super(listener);
        }

        /** Where our datagrams will come from; the wildcard says "not known yet". */
        @Override
        InetSocketAddress requestAddress(Channel upstream) {
            InetSocketAddress local = (InetSocketAddress) upstream.localAddress();
            boolean ipv6 = Addresses.normalize(local.getAddress()) instanceof Inet6Address;
            return new InetSocketAddress(ipv6 ? "::" : "0.0.0.0", 0);
        }

        @Override
        void established(EventLoop loop) {
            relay = relayAddress(upstream);
            upstream.pipeline().addLast("discard", new Discard());
            upstream.closeFuture().addListener(c -> end("control connection closed"));
            upstream.config().setAutoRead(true);
            bindUdp(loop, Addresses.normalize(((InetSocketAddress) upstream.localAddress()).getAddress()));
        }

        private void bindUdp(EventLoop loop, InetAddress local) {
            boolean ipv6 = local instanceof Inet6Address;
            ChannelFuture bind = new Bootstrap().group(loop)
                    .channelFactory(() -> {
                        EpollDatagramChannel ch = new EpollDatagramChannel(ipv6 ? SocketProtocolFamily.INET6
                                : SocketProtocolFamily.INET);
                        if (mark != 0) {
                            try {
                                SocketOptions.setMark(ch.fd().intValue(), mark);
                            } catch (IOException e) {
                                ch.unsafe().closeForcibly();
                                throw new io.netty.channel.ChannelException(e.getMessage(), e);
                            }
                        }
                        return ch;
                    })
                    // Netty's default reads 2,048 bytes and cuts longer datagrams (a 2 KiB EDNS answer lost its tail).
                    .option(ChannelOption.RCVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(MAX_RELAY_DATAGRAM))
                    .handler(new Replies())
                    .bind(new InetSocketAddress(local, 0));
            udp = bind.channel();
            bind.addListener(b -> {
                if (closed) {
                    udp.close();
                } else if (!b.isSuccess()) {
                    end("udp bind on " + local.getHostAddress() + ": " + b.cause().getMessage());
                } else {
                    listener.ready(this);
                }
            });
        }

        @Override
        public boolean send(InetSocketAddress destination, ByteBuf payload, Runnable left) {
            if (!udp.isWritable()) {
                payload.release();
                return false;
            }
            ByteBuf header = udp.alloc().ioBuffer(Socks5UdpHeader.encodedLength(destination));
            Socks5UdpHeader.write(destination, header);
            CompositeByteBuf packet = udp.alloc().compositeDirectBuffer(2).addComponents(true, header, payload);
            udp.writeAndFlush(new DatagramPacket(packet, relay)).addListener(f -> left.run());
            return true;
        }

        @Override
        void closeCarrier() {
            if (udp != null) {
                udp.close();
            }
        }

        /** Datagrams from the relay: a SOCKS5 UDP header naming the source, then the payload. */
        private final class Replies extends SimpleChannelInboundHandler<DatagramPacket> {
            Replies() {
                super(false);
            }

            @Override
            protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
                ByteBuf content = packet.content();
                if (closed || !Addresses.normalize(packet.sender()).equals(relay)) {
                    content.release(); // not from our relay: nobody else may inject replies
                    return;
                }
                RelayDatagram datagram = RelayDatagram.read(content);
                if (datagram.drop() != null) {
                    content.release();
                    listener.dropped(datagram.drop());
                    return;
                }
                listener.reply(datagram.source(), content);
            }
        }
    }

    /**
     * A datagram from the relay, read up to its payload: the source it names, or why it is dropped (a header that
     * does not parse, a domain instead of an address, FRAG != 0).
     */
    record RelayDatagram(InetSocketAddress source, UdpDrop drop) {
        static RelayDatagram read(ByteBuf content) {
            Socks5UdpHeader header;
            try {
                header = Socks5UdpHeader.read(content);
            } catch (DecoderException e) {
                return new RelayDatagram(null, UdpDrop.MALFORMED);
            }
            if (header.fragment() != 0) {
                return new RelayDatagram(null, UdpDrop.FRAGMENT);
            }
            if (header.address().isUnresolved()) {
                return new RelayDatagram(null, UdpDrop.MALFORMED);
            }
            return new RelayDatagram(Addresses.normalize(header.address()), null);
        }
    }

    /** The relay to send to: BND.ADDR:BND.PORT, with a wildcard BND.ADDR replaced by the server's address. */
    static InetSocketAddress relayAddress(Channel control) {
        InetSocketAddress bound = control.attr(Socks5ClientHandshake.BOUND_ADDRESS).get();
        InetSocketAddress server = Addresses.normalize((InetSocketAddress) control.remoteAddress());
        if (bound == null || bound.isUnresolved() || bound.getAddress().isAnyLocalAddress()) {
            return new InetSocketAddress(server.getAddress(), bound == null ? server.getPort() : bound.getPort());
        }
        return Addresses.normalize(bound);
    }

    /** The control connection carries nothing after the reply; whatever comes is thrown away. */
    private static final class Discard extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ReferenceCountUtil.release(msg);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
