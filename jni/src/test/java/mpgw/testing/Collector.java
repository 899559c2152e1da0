package mpgw.testing;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.io.ByteArrayOutputStream;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** A client-side handler for tests: collects what arrives, counts channelActive calls. */
public final class Collector extends ChannelInboundHandlerAdapter {
    public final AtomicInteger activeCalls = new AtomicInteger();
    private final ByteArrayOutputStream received = new ByteArrayOutputStream();
    private final int expected;
    private final CountDownLatch done = new CountDownLatch(1);

    public Collector(int expected) {
        this.expected = expected;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        activeCalls.incrementAndGet();
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf buf = (ByteBuf) msg;
        try {
            synchronized (received) {
                received.writeBytes(ByteBufUtil.getBytes(buf));
                if (received.size() >= expected) {
                    done.countDown();
                }
            }
        } finally {
            buf.release();
        }
    }

    public byte[] await() throws InterruptedException {
        if (!done.await(30, TimeUnit.SECONDS)) {
            throw new AssertionError("timed out; received " + received.size() + " of " + expected + " bytes");
        }
        synchronized (received) {
            return received.toByteArray();
        }
    }
}
