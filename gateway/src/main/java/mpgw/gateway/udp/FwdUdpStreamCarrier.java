package mpgw.gateway.udp;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoop;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.handler.flush.FlushConsolidationHandler;
import java.net.InetSocketAddress;
import java.time.Duration;
import mpgw.config.Addresses;
import mpgw.gateway.upstream.Socks5ClientSettings;
import mpgw.gateway.upstream.Socks5Requests;
import mpgw.gateway.upstream.UpstreamConnector;
import mpgw.relay.WriteStallRetry;
import mpgw.socks.FwdUdpFrame;
import mpgw.socks.FwdUdpFrameDecoder;
import mpgw.socks.FwdUdpFrameEncoder;

/**
 * {@code udp.mode = stream}: each session gets one MPTCP connection to the socks-server carrying the hev-socks5
 * "FWD UDP" command (0x05); afterwards every datagram is one {@link FwdUdpFrame} inside the stream, to any
 * destination, and replies come back framed with their source. The stream rides every MPTCP subflow, so a link
 * going down does not end the session.
 *
 * <p>One stream per session, not one shared by many: the server gives each stream one UDP socket, so replies on
 * a shared stream from the same remote (every client's DNS server) could not be told apart.
 */
final class FwdUdpStreamCarrier implements UdpCarrier {
    private static final InetSocketAddress UNSPECIFIED = new InetSocketAddress("0.0.0.0", 0);

    private final UpstreamConnector connector;
    private final Socks5ClientSettings socks;
    private final WriteBufferWaterMark writeBuffer;
    private final Duration writeStallRetry;

    /**
     * @param writeBuffer     bytes queued on a stream before datagrams are dropped (rides out a path failover)
     * @param writeStallRetry {@code relay.write-stall-retry}: how often a stalled write to the stream is retried
     */
    FwdUdpStreamCarrier(UpstreamConnector connector, Socks5ClientSettings socks, int writeBuffer,
                        Duration writeStallRetry) {
        this.connector = connector;
        this.writeStallRetry = writeStallRetry;
        this.socks = socks;
        this.writeBuffer = new WriteBufferWaterMark(writeBuffer / 2, writeBuffer);
    }

    @Override
    public UdpTunnel open(EventLoop loop, InetSocketAddress client, UdpTunnel.Listener listener) {
        StreamTunnel tunnel = new StreamTunnel(listener);
        tunnel.start(loop, connector, socks, Socks5Requests.FWD_UDP);
        return tunnel;
    }

    private final class StreamTunnel extends SocksCommandTunnel {
        private WriteStallRetry stallRetry;

        StreamTunnel(Listener listener) {
            super(listener);
        }

        @Override
        InetSocketAddress requestAddress(Channel upstream) {
            return UNSPECIFIED;
        }

        @Override
        void established(EventLoop loop) {
            upstream.pipeline().addLast("flush", new FlushConsolidationHandler(64, true))
                    .addLast("fwd-udp-decoder", new FwdUdpFrameDecoder())
                    .addLast("fwd-udp-encoder", FwdUdpFrameEncoder.INSTANCE)
                    .addLast("replies", new Replies());
            upstream.closeFuture().addListener(c -> end("stream closed by " + Addresses.format(
                    (InetSocketAddress) upstream.remoteAddress())));
            upstream.config().setWriteBufferWaterMark(writeBuffer);
            stallRetry = new WriteStallRetry(upstream, writeStallRetry);
            upstream.config().setAutoRead(true);
            listener.ready();
        }

        @Override
        public boolean send(InetSocketAddress destination, ByteBuf payload, Runnable left) {
            if (!upstream.isWritable()) {
                payload.release();
                return false;
            }
            upstream.writeAndFlush(new FwdUdpFrame(destination, payload)).addListener(f -> left.run());
            stallRetry.armIfPending(); // MPTCP's late EPOLLOUT would otherwise stall the queue ~150 ms
            return true;
        }

        @Override
        void closeCarrier() {
            if (stallRetry != null) {
                stallRetry.cancel();
            }
        }

        /** Frames from the server: replies for the client, framed with their source. */
        private final class Replies extends SimpleChannelInboundHandler<FwdUdpFrame> {
            Replies() {
                super(false);
            }

            @Override
            protected void channelRead0(ChannelHandlerContext ctx, FwdUdpFrame frame) {
                if (closed) {
                    frame.release();
                    return;
                }
                listener.reply(frame.address(), frame.content());
            }

            @Override
            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                listener.dropped(UdpDrop.MALFORMED);
                end("bad FWD UDP stream: " + cause.getMessage());
            }
        }
    }
}
