package mpgw.server;

import io.netty.handler.codec.socksx.v5.Socks5CommandStatus;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/** {@link ServerEvents} that keep counts for tests to assert on. Thread-safe. */
final class RecordingEvents implements ServerEvents {
    final Map<Drop, AtomicInteger> drops = new ConcurrentHashMap<>();
    final Map<Integer, AtomicInteger> replies = new ConcurrentHashMap<>();
    final AtomicInteger udpSessionsActive = new AtomicInteger();
    final AtomicInteger udpSessionsStarted = new AtomicInteger();
    final AtomicInteger connectionsOpen = new AtomicInteger();
    final AtomicLong datagrams = new AtomicLong();
    final Map<mpgw.tls.HandshakeOutcome, AtomicInteger> tlsHandshakes = new ConcurrentHashMap<>();

    int tls(mpgw.tls.HandshakeOutcome outcome) {
        AtomicInteger n = tlsHandshakes.get(outcome);
        return n == null ? 0 : n.get();
    }

    @Override
    public void tlsHandshake(mpgw.tls.HandshakeResult result) {
        tlsHandshakes.computeIfAbsent(result.outcome(), o -> new AtomicInteger()).incrementAndGet();
    }

    int drops(Drop reason) {
        AtomicInteger n = drops.get(reason);
        return n == null ? 0 : n.get();
    }

    @Override
    public void connectionOpened() {
        connectionsOpen.incrementAndGet();
    }

    @Override
    public void connectionClosed() {
        connectionsOpen.decrementAndGet();
    }

    @Override
    public void dropped(Drop reason) {
        drops.computeIfAbsent(reason, r -> new AtomicInteger()).incrementAndGet();
    }

    @Override
    public void handshakeCompleted(long nanos) {
    }

    @Override
    public void replied(Socks5CommandStatus status) {
        replies.computeIfAbsent(status.byteValue() & 0xff, r -> new AtomicInteger()).incrementAndGet();
    }

    @Override
    public void bytes(long up, long down) {
    }

    @Override
    public void udpSession(String kind, boolean opened) {
        if (opened) {
            udpSessionsStarted.incrementAndGet();
            udpSessionsActive.incrementAndGet();
        } else {
            udpSessionsActive.decrementAndGet();
        }
    }

    @Override
    public void datagram(boolean up) {
        datagrams.incrementAndGet();
    }
}
