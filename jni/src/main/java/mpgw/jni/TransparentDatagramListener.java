package mpgw.jni;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.IoEvent;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoRegistration;
import io.netty.channel.epoll.EpollIoEvent;
import io.netty.channel.epoll.EpollIoHandle;
import io.netty.channel.epoll.EpollIoOps;
import io.netty.channel.unix.FileDescriptor;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.io.IOException;
import java.net.InetSocketAddress;

/**
 * A {@link TransparentDatagramSocket} registered with a Netty epoll event loop ({@link EpollIoHandle}, Netty 4.2's
 * public I/O registration API): when the kernel reports it readable, up to {@code READ_BUDGET} datagrams are read
 * on the loop and handed to the {@link Receiver}, then the loop moves on (level-triggered, so the rest follow).
 *
 * <p>Each payload is copied out of one scratch buffer into a buffer of its own size, so a queue of small DNS
 * datagrams does not pin 64 KiB each. A datagram longer than {@code maxDatagram} is reported as
 * {@link Receiver#oversized} and not delivered.
 *
 * <p>Threading: everything after {@link #open} runs on the event loop it was registered with.
 */
public final class TransparentDatagramListener implements EpollIoHandle {
    private static final int READ_BUDGET = 64;

    /** Where datagrams go; called on the event loop. */
    public interface Receiver {
        /**
         * A datagram for {@code destination} (the original destination, or null when the kernel gave none:
         * the datagram did not come through TPROXY). Takes ownership of {@code payload}.
         */
        void datagram(InetSocketAddress sender, InetSocketAddress destination, ByteBuf payload);

        /** A datagram longer than the limit, dropped here. */
        void oversized(InetSocketAddress sender, InetSocketAddress destination, int length);

        /** A read failed; the listener keeps running. */
        default void readFailed(IOException e) {
        }
    }

    private final TransparentDatagramSocket socket;
    private final Receiver receiver;
    private final ByteBufAllocator alloc;
    private final ByteBuf scratch;
    private final int maxDatagram;
    private IoRegistration registration;
    private boolean closed;

    private TransparentDatagramListener(TransparentDatagramSocket socket, Receiver receiver, ByteBufAllocator alloc,
                                        int maxDatagram) {
        this.socket = socket;
        this.receiver = receiver;
        this.alloc = alloc;
        this.maxDatagram = maxDatagram;
        // One byte beyond the limit, so a datagram of exactly the limit is told from a longer one.
        this.scratch = alloc.directBuffer(maxDatagram + 1, maxDatagram + 1);
    }

    /**
     * Binds {@code address} transparently (receive buffer {@code receiveBuffer} bytes, 0: system default) and
     * starts reading on {@code loop}. The future fails with the bind or
     * registration error (the socket is then closed).
     */
    public static Future<TransparentDatagramListener> open(IoEventLoop loop, InetSocketAddress address,
                                                           int maxDatagram, int receiveBuffer,
                                                           ByteBufAllocator alloc, Receiver receiver) {
        Promise<TransparentDatagramListener> result = loop.newPromise();
        TransparentDatagramSocket socket;
        try {
            socket = TransparentDatagramSocket.bind(address, receiveBuffer);
        } catch (IOException | RuntimeException e) {
            return result.setFailure(e);
        }
        TransparentDatagramListener listener = new TransparentDatagramListener(socket, receiver, alloc, maxDatagram);
        loop.register(listener).addListener(f -> {
            if (!f.isSuccess()) {
                listener.close();
                result.setFailure(f.cause());
                return;
            }
            listener.registration = (IoRegistration) f.getNow();
            listener.registration.submit(EpollIoOps.EPOLLIN);
            result.setSuccess(listener);
        });
        return result;
    }

    public InetSocketAddress localAddress() {
        return socket.localAddress();
    }

    @Override
    public FileDescriptor fd() {
        return socket.fd();
    }

    @Override
    public void handle(IoRegistration registration, IoEvent event) {
        EpollIoOps ops = ((EpollIoEvent) event).ops();
        if (closed || !(ops.contains(EpollIoOps.EPOLLIN) || ops.contains(EpollIoOps.EPOLLERR))) {
            return;
        }
        for (int i = 0; i < READ_BUDGET; i++) {
            TransparentDatagramSocket.Received r;
            scratch.clear();
            try {
                r = socket.receive(scratch);
            } catch (IOException e) {
                receiver.readFailed(e); // e.g. a queued ICMP error; the socket stays usable
                continue;
            }
            if (r == null) {
                return;
            }
            if (r.truncated() || r.length() > maxDatagram) {
                receiver.oversized(r.sender(), r.destination(), r.length());
                continue;
            }
            ByteBuf payload = alloc.directBuffer(r.length(), r.length());
            payload.writeBytes(scratch, 0, r.length());
            receiver.datagram(r.sender(), r.destination(), payload);
        }
    }

    /** Stops reading and closes the socket; idempotent, any thread (the work runs on the loop). */
    @Override
    public void close() {
        if (registration != null && registration.isValid()) {
            registration.cancel(); // Netty then calls unregistered(), which releases the rest
            return;
        }
        release();
    }

    @Override
    public void unregistered() {
        release();
    }

    private synchronized void release() {
        if (closed) {
            return;
        }
        closed = true;
        scratch.release();
        try {
            socket.close();
        } catch (IOException ignored) {
            // Nothing to do: the descriptor is gone either way.
        }
    }
}
