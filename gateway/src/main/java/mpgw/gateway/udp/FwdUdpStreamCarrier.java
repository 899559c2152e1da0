package mpgw.gateway.udp;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoop;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.handler.codec.EncoderException;
import io.netty.handler.flush.FlushConsolidationHandler;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import mpgw.config.Addresses;
import mpgw.gateway.upstream.EarlyData;
import mpgw.gateway.upstream.Socks5ClientSettings;
import mpgw.gateway.upstream.Socks5Requests;
import mpgw.gateway.upstream.UpstreamConnector;
import mpgw.gateway.upstream.WarmUpstreams;
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
 * <p>A session starts with as few round trips as the path allows (issue 21): it takes a warm member of the UDP
 * pool when there is one (greeting done), and with pipelined SOCKS5 its first datagrams leave in the same write
 * as the FWD UDP request, without waiting for the reply (mpgw's server reads frames pipelined behind the
 * request). Without a member: connect, then greeting, request and first datagrams in one write. Datagrams that
 * arrive before the connection is there wait in the session (bounded by {@code udp.pending-limit} and the UDP
 * budget), and those that arrive while a dead warm member is replaced wait here, bounded by the write buffer.
 *
 * <p>One stream per session, not one shared by many: the server gives each stream one UDP socket, so replies on
 * a shared stream from the same remote (every client's DNS server) could not be told apart.
 */
final class FwdUdpStreamCarrier implements UdpCarrier {
    private static final InetSocketAddress UNSPECIFIED = new InetSocketAddress("0.0.0.0", 0);

    private final UpstreamConnector connector;
    private final WarmUpstreams warm;
    private final Socks5ClientSettings socks;
    private final WriteBufferWaterMark writeBuffer;
    private final Duration writeStallRetry;

    /**
     * @param warm            the UDP half's warm pool ({@link WarmUpstreams#NONE} without one)
     * @param writeBuffer     bytes queued on a stream before datagrams are dropped (rides out a path failover)
     * @param writeStallRetry {@code relay.write-stall-retry}: how often a stalled write to the stream is retried
     */
    FwdUdpStreamCarrier(UpstreamConnector connector, WarmUpstreams warm, Socks5ClientSettings socks,
                        int writeBuffer, Duration writeStallRetry) {
        this.connector = connector;
        this.warm = warm;
        this.writeStallRetry = writeStallRetry;
        this.socks = socks;
        this.writeBuffer = new WriteBufferWaterMark(writeBuffer / 2, writeBuffer);
    }

    @Override
    public UdpTunnel open(EventLoop loop, InetSocketAddress client, UdpTunnel.Listener listener) {
        StreamTunnel tunnel = new StreamTunnel(listener);
        tunnel.start(loop, connector, warm, socks, Socks5Requests.FWD_UDP);
        return tunnel;
    }

    private final class StreamTunnel extends SocksCommandTunnel {
        private WriteStallRetry stallRetry;
        /**
         * Pipelined: the frames that go in the request's write, kept until the reply (a dead warm member's
         * replacement sends them again), with the budget refunds to run when they are let go.
         */
        private ByteBuf firstFrames;
        private final List<Runnable> firstFramesLeft = new ArrayList<>();
        /** The connection whose request has been written: frames go straight to it. */
        private Channel requestOn;
        private boolean codecAdded;

        StreamTunnel(Listener listener) {
            super(listener);
        }

        @Override
        InetSocketAddress requestAddress(Channel upstream) {
            return UNSPECIFIED;
        }

        @Override
        EarlyData firstBytes(Socks5ClientSettings settings) {
            if (!settings.pipelined()) {
                return EarlyData.NONE;
            }
            if (firstFrames == null) {
                firstFrames = upstream.alloc().buffer();
                listener.ready(this); // the session hands over what it queued: into firstFrames (send below)
            }
            return new EarlyData() {
                private boolean taken;

                @Override
                public ByteBuf take() {
                    if (taken || firstFrames == null) {
                        return Unpooled.EMPTY_BUFFER;
                    }
                    taken = true;
                    return firstFrames.retainedDuplicate();
                }
            };
        }

        @Override
        void requestSent(EventLoop loop) {
            if (firstFrames != null) { // pipelined: frames may follow the request at once
                addCodec();
                requestOn = upstream;
            }
        }

        @Override
        void established(EventLoop loop) {
            releaseFirstFrames();
            if (!codecAdded) { // step by step: the frames start after the reply
                addCodec();
                requestOn = upstream;
                listener.ready(this);
            }
        }

        private void addCodec() {
            Channel channel = upstream;
            codecAdded = true;
            channel.pipeline().addLast("flush", new FlushConsolidationHandler(64, true))
                    .addLast("fwd-udp-decoder", new FwdUdpFrameDecoder())
                    .addLast("fwd-udp-encoder", FwdUdpFrameEncoder.INSTANCE)
                    .addLast("replies", new Replies());
            channel.closeFuture().addListener(c -> {
                if (channel == upstream && isEstablished()) { // before the reply, the handshake's failure says why
                    end("stream closed by " + Addresses.format((InetSocketAddress) channel.remoteAddress()));
                }
            });
            channel.config().setWriteBufferWaterMark(writeBuffer);
            if (stallRetry != null) {
                stallRetry.cancel();
            }
            stallRetry = new WriteStallRetry(channel, writeStallRetry);
            channel.config().setAutoRead(true);
        }

        @Override
        public boolean send(InetSocketAddress destination, ByteBuf payload, Runnable left) {
            if (requestOn == null || requestOn != upstream) {
                return addFirstFrame(destination, payload, left);
            }
            if (!upstream.isWritable()) {
                payload.release();
                return false;
            }
            upstream.writeAndFlush(new FwdUdpFrame(destination, payload)).addListener(f -> left.run());
            stallRetry.armIfPending(); // MPTCP's late EPOLLOUT would otherwise stall the queue ~150 ms
            return true;
        }

        /** Before the request is out (or while a dead warm member is replaced): the frame joins the request. */
        private boolean addFirstFrame(InetSocketAddress destination, ByteBuf payload, Runnable left) {
            FwdUdpFrame frame = new FwdUdpFrame(destination, payload);
            try {
                if (firstFrames == null
                        || firstFrames.readableBytes() + FwdUdpFrameEncoder.encodedLength(frame) > writeBuffer.high()) {
                    return false;
                }
                FwdUdpFrameEncoder.write(frame, firstFrames);
                firstFramesLeft.add(left);
                return true;
            } catch (EncoderException e) {
                return false;
            } finally {
                frame.release();
            }
        }

        private void releaseFirstFrames() {
            if (firstFrames != null) {
                firstFrames.release();
                firstFrames = null;
                firstFramesLeft.forEach(Runnable::run);
                firstFramesLeft.clear();
            }
        }

        @Override
        void closeCarrier() {
            releaseFirstFrames();
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
                if (closed || ctx.channel() != upstream) {
                    frame.release();
                    return;
                }
                listener.reply(frame.address(), frame.content());
            }

            @Override
            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                if (ctx.channel() != upstream) {
                    ctx.close();
                    return;
                }
                listener.dropped(UdpDrop.MALFORMED);
                end("bad FWD UDP stream: " + cause.getMessage());
            }
        }
    }
}
