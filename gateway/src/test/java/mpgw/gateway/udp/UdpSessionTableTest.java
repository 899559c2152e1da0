package mpgw.gateway.udp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoop;
import io.netty.channel.embedded.EmbeddedChannel;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import mpgw.config.Cidr;
import mpgw.gateway.config.UdpSettings;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Session table rules with a scripted carrier: admission checks, the cap, the pending queue, the idle sweep. */
class UdpSessionTableTest {
    private static final InetSocketAddress DNS = new InetSocketAddress("192.0.2.53", 53);

    private final List<ByteBuf> sent = new ArrayList<>();
    private final EmbeddedChannel channel = new EmbeddedChannel();
    private final FakeCarrier carrier = new FakeCarrier();
    private final CountingMetrics metrics = new CountingMetrics();
    private UdpBudget budget = new UdpBudget(1 << 20, 1 << 20, 1000);

    @AfterEach
    void tearDown() {
        sent.forEach(ByteBuf::release);
        channel.finishAndReleaseAll();
    }

    private UdpSessionTable table(int maxSessions, int pendingLimit, Duration idle) {
        return table(maxSessions, pendingLimit, idle, idle);
    }

    private UdpSessionTable table(int maxSessions, int pendingLimit, Duration idle, Duration oneShotIdle) {
        UdpSettings s = new UdpSettings(true, new InetSocketAddress("::", 12346), UdpSettings.Mode.STREAM,
                List.of(new InetSocketAddress("10.1.1.2", 1080)), idle, oneShotIdle, maxSessions, 65507, 0,
                pendingLimit, 1 << 20, 0, Duration.ofSeconds(30), 16, List.of(Cidr.parse("127.0.0.0/8")));
        return new UdpSessionTable(channel.eventLoop(), s, budget, UdpLinkShare.OFF, carrier, metrics);
    }

    private static ByteBuf payload(int n) {
        return Unpooled.buffer(n).writeZero(n);
    }

    private static InetSocketAddress client(int port) {
        return new InetSocketAddress("192.168.70.2", port);
    }

    @Test
    void oneSessionPerClientSocketWhateverTheDestination() {
        UdpSessionTable t = table(10, 8, Duration.ofMinutes(1));
        t.datagram(client(1000), DNS, payload(10));
        t.datagram(client(1000), new InetSocketAddress("198.51.100.1", 123), payload(10));
        t.datagram(client(1001), DNS, payload(10));
        assertEquals(2, t.size());
        assertEquals(2, carrier.opened.size());
    }

    @Test
    void datagramsWaitForTheCarrierUpToTheLimitThenFlowInOrder() {
        UdpSessionTable t = table(10, 2, Duration.ofMinutes(1));
        for (int i = 1; i <= 3; i++) {
            t.datagram(client(1000), DNS, payload(i));
        }
        assertEquals(1, metrics.drops.get(UdpDrop.QUEUE_FULL));
        assertTrue(carrier.sent.isEmpty());
        carrier.opened.get(0).listener.ready(carrier.opened.get(0));
        t.datagram(client(1000), DNS, payload(4));
        assertEquals(List.of(1, 2, 4), carrier.sent.stream().map(ByteBuf::readableBytes).toList());
        assertEquals(3, metrics.up);
    }

    @Test
    void theCapCountsRefusedDatagramsAndAClosedSessionFreesItsPlace() {
        UdpSessionTable t = table(1, 8, Duration.ofMinutes(1));
        t.datagram(client(1000), DNS, payload(1));
        t.datagram(client(1001), DNS, payload(1));
        assertEquals(1, metrics.drops.get(UdpDrop.SESSION_CAP));
        carrier.opened.get(0).listener.closed("server went away");
        assertEquals(1, metrics.drops.get(UdpDrop.CARRIER_FAILED), "its waiting datagram");
        t.datagram(client(1001), DNS, payload(1));
        assertEquals(1, t.size());
        assertEquals(1, metrics.active, "the first ended, the second is open");
    }

    @Test
    void deniedAndUntraceableDestinationsAreDroppedWithoutASession() {
        UdpSessionTable t = table(10, 8, Duration.ofMinutes(1));
        t.datagram(client(1000), new InetSocketAddress("127.0.0.1", 53), payload(1));
        t.datagram(client(1000), null, payload(1));
        t.oversized(client(1000), DNS, 70000);
        assertEquals(1, metrics.drops.get(UdpDrop.DENIED));
        assertEquals(1, metrics.drops.get(UdpDrop.NO_DESTINATION));
        assertEquals(1, metrics.drops.get(UdpDrop.OVERSIZED));
        assertEquals(0, t.size());
    }

    @Test
    void theSweepEndsIdleSessionsAndClosesTheirCarriers() throws Exception {
        UdpSessionTable t = table(10, 8, Duration.ofMillis(1));
        t.datagram(client(1000), DNS, payload(1));
        Thread.sleep(5);
        t.sweep();
        assertEquals(0, t.size());
        assertTrue(carrier.opened.get(0).closed);
        assertEquals(1, metrics.drops.get(UdpDrop.CARRIER_FAILED), "never ready: its datagram was still waiting");
    }

    @Test
    void aOneShotSessionEndsSoonerThanOneThatKeepsTalking() throws Exception {
        UdpSessionTable t = table(10, 8, Duration.ofMinutes(1), Duration.ofMillis(1));
        t.datagram(client(1000), DNS, payload(1));
        t.datagram(client(2000), DNS, payload(1));
        t.datagram(client(2000), DNS, payload(1));
        carrier.opened.forEach(tunnel -> tunnel.listener.ready(tunnel));
        Thread.sleep(5);
        t.sweep();
        assertEquals(1, t.size(), "the query-and-done socket is gone, the chatty one stays");
        assertTrue(carrier.opened.get(0).closed);
        assertTrue(!carrier.opened.get(1).closed);
    }

    @Test
    void aHostOverItsSessionCapIsDroppedWhileAnotherHostOpensSessions() {
        budget = new UdpBudget(1 << 20, 1 << 20, 2);
        UdpSessionTable t = table(10, 8, Duration.ofMinutes(1));
        for (int port = 1000; port < 1005; port++) {
            t.datagram(client(port), DNS, payload(10));
        }
        t.datagram(new InetSocketAddress("192.168.70.3", 1000), DNS, payload(10));
        assertEquals(3, t.size());
        assertEquals(3, metrics.drops.get(UdpDrop.CLIENT_SESSIONS));
        carrier.opened.get(0).listener.closed("server went away");
        t.datagram(client(1005), DNS, payload(10));
        assertEquals(3, t.size(), "an ended session freed its host's place");
    }

    @Test
    void aHostAtItsSessionCapGetsRoomFromItsOwnQuietSessions() throws Exception {
        budget = new UdpBudget(1 << 20, 1 << 20, 2);
        UdpSessionTable t = table(10, 8, Duration.ofMinutes(1));
        t.datagram(client(1000), DNS, payload(10));
        t.datagram(client(1001), DNS, payload(10));
        t.datagram(new InetSocketAddress("192.168.70.3", 1000), DNS, payload(10));
        t.datagram(client(1002), DNS, payload(10));
        assertEquals(1, metrics.drops.get(UdpDrop.CLIENT_SESSIONS), "its sessions are not quiet yet");
        Thread.sleep(1100); // past the 1 s of quiet that makes a session reclaimable
        t.datagram(client(1000), DNS, payload(10)); // 1000 talks again: not quiet
        t.datagram(client(1003), DNS, payload(10));
        assertEquals(1, metrics.drops.get(UdpDrop.CLIENT_SESSIONS));
        assertTrue(carrier.opened.get(1).closed, "1001, quiet, made room");
        assertTrue(!carrier.opened.get(0).closed && !carrier.opened.get(2).closed,
                "the talking session and the other host's stay");
        assertEquals(3, t.size());
    }

    @Test
    void queuedBytesAreChargedUntilTheyLeaveAndGivenBackOnEveryPath() {
        int charge = 100 + UdpSession.QUEUE_OVERHEAD;
        budget = new UdpBudget(1 << 20, 3L * charge, 1000);
        UdpSessionTable t = table(10, 8, Duration.ofMinutes(1));
        for (int i = 0; i < 4; i++) {
            t.datagram(client(1000), DNS, payload(100));
        }
        assertEquals(1, metrics.drops.get(UdpDrop.CLIENT_BYTES), "the fourth waiting datagram is over the cap");
        assertEquals(3L * charge, budget.queued());
        FakeTunnel tunnel = carrier.opened.get(0);
        tunnel.listener.ready(tunnel);
        assertEquals(3, sent.size());
        assertEquals(3L * charge, budget.queued(), "handed to the tunnel, not yet taken by the kernel");
        tunnel.left.forEach(Runnable::run);
        assertEquals(0, budget.queued());
        assertEquals(0, metrics.queued);

        t.datagram(client(2000), DNS, payload(100));
        assertEquals(charge, budget.queued(), "waiting for its carrier");
        carrier.opened.get(1).listener.closed("server went away");
        assertEquals(0, budget.queued(), "dropped with its session");
        assertEquals(1, budget.clients(), "only the first session's host holds anything");
    }

    private final class FakeCarrier implements UdpCarrier {
        final List<FakeTunnel> opened = new ArrayList<>();
        final List<ByteBuf> sent = UdpSessionTableTest.this.sent;

        @Override
        public UdpTunnel open(EventLoop loop, InetSocketAddress client, UdpTunnel.Listener listener) {
            FakeTunnel t = new FakeTunnel(listener);
            opened.add(t);
            return t;
        }
    }

    private final class FakeTunnel implements UdpTunnel {
        final Listener listener;
        /** What the tunnel calls once each sent datagram left its queue; the test runs them (the kernel took it). */
        final List<Runnable> left = new ArrayList<>();
        boolean closed;

        FakeTunnel(Listener listener) {
            this.listener = listener;
        }

        @Override
        public boolean send(InetSocketAddress destination, ByteBuf payload, Runnable left) {
            sent.add(payload);
            this.left.add(left);
            return true;
        }

        @Override
        public boolean isEstablished() {
            return false; // the scripted carrier's failures count as failures to come up
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    private static final class CountingMetrics implements UdpMetrics {
        final Map<UdpDrop, Integer> drops = new EnumMap<>(UdpDrop.class);
        int active;
        int up;
        long queued;

        @Override
        public void queuedBytes(long delta) {
            queued += delta;
        }

        CountingMetrics() {
            for (UdpDrop d : UdpDrop.values()) {
                drops.put(d, 0);
            }
        }

        @Override
        public void sessionOpened() {
            active++;
        }

        @Override
        public void sessionClosed() {
            active--;
        }

        @Override
        public void datagram(boolean up, int bytes) {
            if (up) {
                this.up++;
            }
        }

        @Override
        public void dropped(UdpDrop reason) {
            drops.merge(reason, 1, Integer::sum);
        }
    }
}
