package mpgw.server;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import mpgw.config.Addresses;
import mpgw.config.Cidr;
import mpgw.config.ConfigReader;
import mpgw.log.LogLimiter;
import mpgw.paths.LinkProbePacket;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Answers the gateway's link probes ({@code server.probe}, off by default): a UDP socket that sends each valid
 * probe back to its sender, byte for byte, so the gateway can tell a link that passes nothing while its carrier
 * stays up. Not a reflector: it answers only sources in {@code allow}, only datagrams of exactly the probe's size
 * and magic, never with more bytes than it received, and at most {@code max-replies-per-second} in all; with
 * {@code server.tls} on, only sources that router A's authenticated connections use as subflow addresses
 * ({@link TlsPeerAddresses}: the probes carry no secret, the connections do). The rest is dropped, counted
 * ({@code mpgw_server_probe_drops_total{reason}}) and logged once per 10 s per source.
 *
 * <p>Threading: one daemon thread blocks on the socket; closing the socket ends it.
 */
final class ProbeResponder implements AutoCloseable {
    private static final Logger log = LogManager.getLogger(ProbeResponder.class);
    private static final LogLimiter DROP_LOG = new LogLimiter(Duration.ofSeconds(10), 256);

    /** {@code server.probe}. {@code allow} empty: the {@code clients.allow} list. */
    record Settings(boolean enabled, InetSocketAddress listen, List<Cidr> allow, int maxRepliesPerSecond) {
        static Settings from(ConfigReader c, List<Cidr> clientsAllow) {
            List<Cidr> allow = c.cidrs("allow");
            return new Settings(c.bool("enabled"), c.optionalSocketAddress("listen")
                    .orElseThrow(() -> c.error("listen", "needs an address such as \"[::]:1081\"")),
                    allow.isEmpty() ? clientsAllow : allow, c.intIn("max-replies-per-second", 1, 100_000));
        }
    }

    private final DatagramChannel channel;
    private final Settings settings;
    private final Counter replies;
    private final MeterRegistry registry;
    /** With TLS on: the addresses of authenticated peers, the only ones answered; null with TLS off. */
    private final TlsPeerAddresses tlsPeers;
    private long windowStart = System.nanoTime();
    private int inWindow;

    private ProbeResponder(DatagramChannel channel, Settings settings, MeterRegistry registry,
                           TlsPeerAddresses tlsPeers) {
        this.channel = channel;
        this.tlsPeers = tlsPeers;
        this.settings = settings;
        this.registry = registry;
        this.replies = Counter.builder("mpgw.server.probe.replies").register(registry);
    }

    /** @param tlsPeers with {@code server.tls} on, the addresses of authenticated peers; null with TLS off */
    static Optional<ProbeResponder> start(Settings settings, MeterRegistry registry, TlsPeerAddresses tlsPeers)
            throws IOException {
        if (!settings.enabled()) {
            return Optional.empty();
        }
        DatagramChannel ch = DatagramChannel.open();
        try {
            ch.bind(settings.listen());
        } catch (IOException e) {
            ch.close();
            throw new IOException("server.probe.listen " + Addresses.format(settings.listen()) + ": " + e.getMessage(),
                    e);
        }
        ProbeResponder r = new ProbeResponder(ch, settings, registry, tlsPeers);
        for (String reason : new String[] {"not-allowed", "malformed", "not-tls-peer", "rate"}) {
            r.dropCounter(reason);
        }
        Thread t = new Thread(r::serve, "probe-responder");
        t.setDaemon(true);
        t.start();
        log.info("probe responder on udp {} (answers {}{} at most {}/s)", Addresses.format(settings.listen()),
                settings.allow(), tlsPeers == null ? "" : ", TLS peers' subflow addresses only,",
                settings.maxRepliesPerSecond());
        return Optional.of(r);
    }

    private void serve() {
        // One byte more than a probe, so a longer datagram is seen as longer instead of truncated to a valid one.
        ByteBuffer buf = ByteBuffer.allocate(LinkProbePacket.SIZE + 1);
        while (channel.isOpen()) {
            buf.clear();
            SocketAddress from;
            try {
                from = channel.receive(buf);
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                continue; // an ICMP error for an earlier reply
            }
            buf.flip();
            InetAddress source = Addresses.normalize(((InetSocketAddress) from).getAddress());
            String drop = settings.allow().stream().noneMatch(c -> c.contains(source)) ? "not-allowed"
                    : !LinkProbePacket.valid(buf) ? "malformed"
                    : tlsPeers != null && !tlsPeers.knows(source) ? "not-tls-peer"
                    : !admit() ? "rate" : null;
            if (drop != null) {
                dropCounter(drop).increment();
                DROP_LOG.log(log, Level.WARN, source, "probe from {} dropped: {}", source.getHostAddress(), drop);
                continue;
            }
            try {
                channel.send(buf, from); // the same bytes: never more than arrived
                replies.increment();
            } catch (IOException e) {
                dropCounter("send-failed").increment();
            }
        }
    }

    /** At most {@code max-replies-per-second} per one-second window, whoever asks. */
    private boolean admit() {
        long now = System.nanoTime();
        if (now - windowStart >= 1_000_000_000L) {
            windowStart = now;
            inWindow = 0;
        }
        return ++inWindow <= settings.maxRepliesPerSecond();
    }

    private Counter dropCounter(String reason) {
        return Counter.builder("mpgw.server.probe.drops").tag("reason", reason).register(registry);
    }

    /** The bound address (the port when {@code listen} asked for 0). */
    InetSocketAddress localAddress() {
        try {
            return (InetSocketAddress) channel.getLocalAddress();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException ignored) {
            // closing
        }
    }
}
