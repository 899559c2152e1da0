package mpgw.gateway.metrics;

import mpgw.tls.HandshakeOutcome;
import mpgw.tls.HandshakeResult;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.net.InetSocketAddress;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import mpgw.config.Addresses;
import mpgw.connection.Outcome;
import mpgw.jni.MptcpSocketFactory;
import mpgw.metrics.ByteCounters;

/**
 * The gateway's meters (Prometheus names after the registry's conversion):
 * <table>
 *   <tr><td>mpgw_gateway_flows_active</td><td>gauge</td><td>flows accepted and not yet ended</td></tr>
 *   <tr><td>mpgw_gateway_flows_total{outcome}</td><td>counter</td><td>ended flows by {@link Outcome}</td></tr>
 *   <tr><td>mpgw_gateway_bytes_total{direction=up|down}</td><td>counter</td><td>relayed bytes, client to server
 *       and back</td></tr>
 *   <tr><td>mpgw_gateway_upstream_connect_seconds{server}</td><td>timer</td><td>successful connects</td></tr>
 *   <tr><td>mpgw_gateway_upstream_connect_failures_total{server}</td><td>counter</td><td></td></tr>
 *   <tr><td>mpgw_gateway_socks_handshake_seconds</td><td>timer</td><td>connected to CONNECT reply</td></tr>
 *   <tr><td>mpgw_gateway_socks_replies_total{code}</td><td>counter</td><td>CONNECT reply codes</td></tr>
 *   <tr><td>mpgw_gateway_mptcp_fallbacks_total</td><td>counter</td><td>upstream sockets that had to be plain
 *       TCP ({@link MptcpSocketFactory#fallbacks()})</td></tr>
 *   <tr><td>mpgw_gateway_mptcp_peer_fallbacks_total</td><td>counter</td><td>upstream connections opened as
 *       MPTCP that run as plain TCP: the server or a middlebox did not take the option</td></tr>
 *   <tr><td>mpgw_gateway_upstream_subflows</td><td>summary</td><td>sampled subflow counts</td></tr>
 *   <tr><td>mpgw_gateway_path_bytes_total{path,direction=sent|received}</td><td>counter</td><td>sampled
 *       per-subflow bytes; path = "local IP -> remote IP:port"</td></tr>
 *   <tr><td>mpgw_gateway_path_reannounces_total{interface}</td><td>counter</td><td>MPTCP endpoints re-added by the
 *       path watcher after their link came back</td></tr>
 *   <tr><td>mpgw_gateway_fast_open_total{result}</td><td>counter</td><td>upstream connections whose SOCKS
 *       request was queued for the SYN: acked (the server read it from the SYN) or not_acked (sent again after
 *       the handshake: no cookie yet, or dropped on the way)</td></tr>
 *   <tr><td>mpgw_gateway_accept_errors_total</td><td>counter</td><td>failed accepts (EMFILE...); the listener
 *       pauses 50 ms doubling to 1 s</td></tr>
 *   <tr><td>mpgw_gateway_pool_ready</td><td>gauge</td><td>warm upstream connections ready</td></tr>
 *   <tr><td>mpgw_gateway_pool_takes_total{result}</td><td>counter</td><td>flows that asked the pool: hit, miss</td></tr>
 *   <tr><td>mpgw_gateway_pool_replaced_total{reason}</td><td>counter</td><td>ready members dropped and replaced:
 *       closed, expired, lost-subflows</td></tr>
 *   <tr><td>mpgw_gateway_socks_pipelining_fallbacks_total{server}</td><td>counter</td><td>flows whose pipelined
 *       handshake lost the race to a step-by-step one ({@code socks.pipelined = auto}): the server drops
 *       pipelined bytes</td></tr>
 *   <tr><td>mpgw_gateway_pool_retries_total</td><td>counter</td><td>flows whose pooled connection died before the
 *       CONNECT reply, retried on a fresh connection</td></tr>
 *   <tr><td>mpgw_gateway_tls_handshakes_total{result}</td><td>counter</td><td>TLS handshakes on upstream connections by
 *       outcome: ok, unknown-peer, bad-certificate, protocol-version, timeout, other</td></tr>
 *   <tr><td>mpgw_gateway_tls_handshake_seconds{result}</td><td>timer</td><td>connected to the end of the TLS
 *       handshake (ok: the time TLS adds before the SOCKS5 request reaches router B)</td></tr>
 * </table>
 * Tag values are bounded: server addresses and paths come from the configured links, never from destinations.
 * Meters with tags are looked up once and kept: a builder's register() costs an id and a registry lookup,
 * which showed in profiles at thousands of flows per second. Thread-safe.
 */
public final class MicrometerGatewayMetrics implements GatewayMetrics {
    private final MeterRegistry registry;
    private final AtomicLong active = new AtomicLong();
    private final AtomicLong poolReady = new AtomicLong();
    private final ByteCounters bytes;
    private final Timer handshake;
    private final DistributionSummary subflows;
    private final Map<Outcome, Counter> flows = new EnumMap<>(Outcome.class);
    private final Map<InetSocketAddress, Timer> connects = new ConcurrentHashMap<>();
    private final Map<InetSocketAddress, Counter> connectFailures = new ConcurrentHashMap<>();
    private final Map<InetSocketAddress, Counter> pipeliningFallbacks = new ConcurrentHashMap<>();
    private final Map<Integer, Counter> replies = new ConcurrentHashMap<>();
    private final Map<String, Counter> pathSent = new ConcurrentHashMap<>();
    private final Map<String, Counter> pathReceived = new ConcurrentHashMap<>();
    private final Map<String, Counter> tagged = new ConcurrentHashMap<>();
    private final Counter acceptErrors;
    private final Counter peerFallbacks;
    private final Map<HandshakeOutcome, Counter> tlsHandshakes = new EnumMap<>(HandshakeOutcome.class);
    private final Map<HandshakeOutcome, Timer> tlsHandshakeTime = new EnumMap<>(HandshakeOutcome.class);

    public MicrometerGatewayMetrics(MeterRegistry registry, MptcpSocketFactory sockets) {
        this.registry = registry;
        Gauge.builder("mpgw.gateway.flows.active", active, AtomicLong::get)
                .description("Flows accepted and not yet ended").register(registry);
        bytes = new ByteCounters(registry, "mpgw.gateway.bytes", "Relayed bytes (up: client to server)");
        handshake = Timer.builder("mpgw.gateway.socks.handshake")
                .description("Upstream connected to SOCKS5 CONNECT reply").register(registry);
        subflows = DistributionSummary.builder("mpgw.gateway.upstream.subflows")
                .description("Subflows of an upstream MPTCP connection, sampled").register(registry);
        io.micrometer.core.instrument.FunctionCounter.builder("mpgw.gateway.mptcp.fallbacks", sockets,
                        MptcpSocketFactory::fallbacks)
                .description("Upstream sockets that had to be plain TCP because the kernel refused MPTCP")
                .register(registry);
        peerFallbacks = Counter.builder("mpgw.gateway.mptcp.peer.fallbacks")
                .description("Upstream connections opened as MPTCP that run as plain TCP (server or middlebox)")
                .register(registry);
        acceptErrors = Counter.builder("mpgw.gateway.accept.errors")
                .description("Failed accepts (out of descriptors); the listener pauses").register(registry);
        Gauge.builder("mpgw.gateway.pool.ready", poolReady, AtomicLong::get)
                .description("Warm upstream connections ready to be handed out").register(registry);
        for (Outcome o : Outcome.values()) { // every outcome shows from the start, at 0
            flows.put(o, Counter.builder("mpgw.gateway.flows").tag("outcome", o.tag())
                    .description("Ended flows by outcome").register(registry));
        }
        for (HandshakeOutcome o : HandshakeOutcome.values()) {
            tlsHandshakes.put(o, Counter.builder("mpgw.gateway.tls.handshakes").tag("result", o.tag())
                    .description("TLS handshakes on upstream connections by outcome").register(registry));
            tlsHandshakeTime.put(o, Timer.builder("mpgw.gateway.tls.handshake").tag("result", o.tag())
                    .description("upstream connected to the end of the TLS handshake").publishPercentileHistogram()
                    .register(registry));
        }
    }

    @Override
    public void tlsHandshake(HandshakeResult result) {
        tlsHandshakes.get(result.outcome()).increment();
        tlsHandshakeTime.get(result.outcome()).record(result.elapsed());
    }

    /** A counter with one tag, registered at its first use (so its series appears only once it happens). */
    private Counter tagged(String name, String tag, String value, String description) {
        return tagged.computeIfAbsent(name + '\0' + value, k -> Counter.builder(name).tag(tag, value)
                .description(description).register(registry));
    }

    @Override
    public void flowStarted() {
        active.incrementAndGet();
    }

    @Override
    public void flowEnded(Outcome outcome, long up, long down) {
        active.decrementAndGet();
        flows.get(outcome).increment();
    }

    @Override
    public void bytes(long up, long down) {
        bytes.add(up, down);
    }

    @Override
    public void upstreamConnected(InetSocketAddress server, long nanos) {
        connects.computeIfAbsent(server, a -> Timer.builder("mpgw.gateway.upstream.connect")
                .tag("server", Addresses.format(a)).description("Successful upstream connects").register(registry))
                .record(nanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void upstreamConnectFailed(InetSocketAddress server) {
        connectFailures.computeIfAbsent(server, a -> Counter.builder("mpgw.gateway.upstream.connect.failures")
                .tag("server", Addresses.format(a)).register(registry)).increment();
    }

    @Override
    public void pipeliningFallback(InetSocketAddress server) {
        pipeliningFallbacks.computeIfAbsent(server, a -> Counter.builder("mpgw.gateway.socks.pipelining.fallbacks")
                .tag("server", Addresses.format(a))
                .description("Flows that fell back to a step-by-step SOCKS5 handshake").register(registry))
                .increment();
    }

    @Override
    public void handshakeCompleted(long nanos) {
        handshake.record(nanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void socksReply(int code) {
        replies.computeIfAbsent(code, c -> Counter.builder("mpgw.gateway.socks.replies")
                .tag("code", Integer.toString(c)).description("SOCKS5 CONNECT reply codes").register(registry))
                .increment();
    }

    @Override
    public void subflows(int count) {
        subflows.record(count);
    }

    @Override
    public void pathBytes(String path, long sent, long received) {
        pathSent.computeIfAbsent(path, p -> pathCounter(p, "sent")).increment(sent);
        pathReceived.computeIfAbsent(path, p -> pathCounter(p, "received")).increment(received);
    }

    private Counter pathCounter(String path, String direction) {
        return Counter.builder("mpgw.gateway.path.bytes").tag("path", path).tag("direction", direction)
                .register(registry);
    }

    @Override
    public void poolTake(boolean hit) {
        tagged("mpgw.gateway.pool.takes", "result", hit ? "hit" : "miss",
                "Flows that asked the warm pool for a connection").increment();
    }

    @Override
    public void poolMembers(int delta) {
        poolReady.addAndGet(delta);
    }

    @Override
    public void poolReplaced(String reason) {
        Counter.builder("mpgw.gateway.pool.replaced").tag("reason", reason)
                .description("Ready pool members dropped and replaced").register(registry).increment();
    }

    @Override
    public void poolRetried() {
        Counter.builder("mpgw.gateway.pool.retries")
                .description("Flows whose pooled connection failed before the CONNECT reply, retried on a fresh one")
                .register(registry).increment();
    }

    @Override
    public void fastOpen(boolean acked) {
        tagged("mpgw.gateway.fast.open", "result", acked ? "acked" : "not_acked",
                "Upstream connections that sent their SOCKS request with TCP Fast Open, by whether"
                        + " the server acknowledged the SYN data").increment();
    }

    @Override
    public void acceptFailed() {
        acceptErrors.increment();
    }

    @Override
    public void mptcpPeerFallback() {
        peerFallbacks.increment();
    }

    @Override
    public void pathReannounced(String iface, int endpoints) {
        Counter.builder("mpgw.gateway.path.reannounces").tag("interface", iface)
                .description("MPTCP endpoints re-added by the path watcher after their link came back")
                .register(registry).increment(endpoints);
    }
}
