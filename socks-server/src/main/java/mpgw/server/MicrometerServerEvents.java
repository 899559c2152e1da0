package mpgw.server;

import mpgw.tls.HandshakeOutcome;
import mpgw.tls.HandshakeResult;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.netty.handler.codec.socksx.v5.Socks5CommandStatus;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import mpgw.jni.MptcpSocketFactory;
import mpgw.metrics.ByteCounters;

/**
 * Records {@link ServerEvents} as Micrometer meters. Tag values are bounded: reply codes (0-255, in
 * practice 0-8), {@link Drop} names, direction and session kind; never an address.
 *
 * <table>
 *   <caption>Meters (Prometheus names)</caption>
 *   <tr><td>mpgw_server_connections_active</td><td>gauge</td><td>open client connections</td></tr>
 *   <tr><td>mpgw_server_connections_total</td><td>counter</td><td>accepted and admitted connections</td></tr>
 *   <tr><td>mpgw_server_bytes_total{direction=up|down}</td><td>counter</td><td>payload bytes, TCP and UDP</td></tr>
 *   <tr><td>mpgw_server_handshake_seconds</td><td>timer</td><td>accept to complete request</td></tr>
 *   <tr><td>mpgw_server_replies_total{code}</td><td>counter</td><td>SOCKS5 replies by REP code</td></tr>
 *   <tr><td>mpgw_server_udp_sessions_active{kind}</td><td>gauge</td><td>UDP ASSOCIATE / FWD UDP sessions</td></tr>
 *   <tr><td>mpgw_server_udp_sessions_total{kind}</td><td>counter</td><td>sessions started</td></tr>
 *   <tr><td>mpgw_server_datagrams_total{direction}</td><td>counter</td><td>datagrams relayed</td></tr>
 *   <tr><td>mpgw_server_drops_total{reason}</td><td>counter</td><td>refused connections, dropped datagrams</td></tr>
 *   <tr><td>mpgw_server_accept_errors_total</td><td>counter</td><td>failed accepts (EMFILE...); the listener
 *   pauses 50 ms doubling to 1 s</td></tr>
 *   <tr><td>mpgw_server_tls_handshakes_total{result}</td><td>counter</td><td>TLS handshakes on TLS listeners by
 *   outcome: ok, unknown-peer, bad-certificate, plaintext-client, protocol-version, timeout, other</td></tr>
 *   <tr><td>mpgw_server_tls_handshake_seconds{result}</td><td>timer</td><td>accept to the end of the TLS handshake
 *   (ok: the time TLS adds before the SOCKS5 greeting can be read)</td></tr>
 *   <tr><td>mpgw_server_mptcp_fallbacks</td><td>gauge</td><td>listening sockets that had to be plain TCP</td></tr>
 * </table>
 */
public final class MicrometerServerEvents implements ServerEvents {
    private final MeterRegistry registry;
    private final AtomicLong active = new AtomicLong();
    private final Counter total;
    private final ByteCounters bytes;
    private final Timer handshake;
    private final Counter acceptErrors;
    private final Counter datagramsUp;
    private final Counter datagramsDown;
    private final Map<Drop, Counter> drops = new EnumMap<>(Drop.class);
    private final Map<Byte, Counter> replies = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> udpActive = new ConcurrentHashMap<>();
    private final Map<HandshakeOutcome, Counter> tlsHandshakes = new EnumMap<>(HandshakeOutcome.class);
    private final Map<HandshakeOutcome, Timer> tlsHandshakeTime = new EnumMap<>(HandshakeOutcome.class);

    public MicrometerServerEvents(MeterRegistry registry, MptcpSocketFactory sockets) {
        this.registry = registry;
        Gauge.builder("mpgw.server.connections.active", active, AtomicLong::get)
                .description("open client connections").register(registry);
        total = Counter.builder("mpgw.server.connections").description("admitted client connections")
                .register(registry);
        bytes = new ByteCounters(registry, "mpgw.server.bytes", "payload bytes relayed");
        handshake = Timer.builder("mpgw.server.handshake").description("accept to complete request")
                .register(registry);
        acceptErrors = Counter.builder("mpgw.server.accept.errors")
                .description("failed accepts (out of descriptors); the listener pauses").register(registry);
        datagramsUp = Counter.builder("mpgw.server.datagrams").tag("direction", "up").register(registry);
        datagramsDown = Counter.builder("mpgw.server.datagrams").tag("direction", "down").register(registry);
        for (Drop d : Drop.values()) {
            drops.put(d, Counter.builder("mpgw.server.drops").tag("reason", d.tag())
                    .description("refused connections and dropped datagrams").register(registry));
        }
        for (HandshakeOutcome o : HandshakeOutcome.values()) {
            tlsHandshakes.put(o, Counter.builder("mpgw.server.tls.handshakes").tag("result", o.tag())
                    .description("TLS handshakes on TLS listeners by outcome").register(registry));
            tlsHandshakeTime.put(o, Timer.builder("mpgw.server.tls.handshake").tag("result", o.tag())
                    .description("accept to the end of the TLS handshake").publishPercentileHistogram()
                    .register(registry));
        }
        Gauge.builder("mpgw.server.mptcp.fallbacks", sockets, MptcpSocketFactory::fallbacks)
                .description("sockets that had to be plain TCP").register(registry);
    }

    @Override
    public void connectionOpened() {
        active.incrementAndGet();
        total.increment();
    }

    @Override
    public void acceptFailed() {
        acceptErrors.increment();
    }

    @Override
    public void connectionClosed() {
        active.decrementAndGet();
    }

    @Override
    public void dropped(Drop reason) {
        drops.get(reason).increment();
    }

    @Override
    public void handshakeCompleted(long nanos) {
        handshake.record(nanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void replied(Socks5CommandStatus status) {
        replies.computeIfAbsent(status.byteValue(), code -> Counter.builder("mpgw.server.replies")
                .tag("code", Integer.toString(code & 0xff)).description("SOCKS5 replies by REP code")
                .register(registry)).increment();
    }

    @Override
    public void bytes(long up, long down) {
        bytes.add(up, down);
    }

    @Override
    public void udpSession(String kind, boolean opened) {
        AtomicLong gauge = udpActive.computeIfAbsent(kind, k -> {
            AtomicLong g = new AtomicLong();
            Gauge.builder("mpgw.server.udp.sessions.active", g, AtomicLong::get).tag("kind", k).register(registry);
            return g;
        });
        if (opened) {
            gauge.incrementAndGet();
            registry.counter("mpgw.server.udp.sessions", "kind", kind).increment();
        } else {
            gauge.decrementAndGet();
        }
    }

    @Override
    public void datagram(boolean up) {
        (up ? datagramsUp : datagramsDown).increment();
    }

    @Override
    public void tlsHandshake(HandshakeResult result) {
        tlsHandshakes.get(result.outcome()).increment();
        tlsHandshakeTime.get(result.outcome()).record(result.elapsed());
    }

    @Override
    public void pathReannounced(String iface, int endpoints) {
        Counter.builder("mpgw.server.path.reannounces").tag("interface", iface)
                .description("MPTCP endpoints re-added by the path watcher after their link came back")
                .register(registry).increment(endpoints);
    }
}
