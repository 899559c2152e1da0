package mpgw.tls;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import mpgw.config.ConfigReader;

/**
 * The keys both daemons' TLS blocks share ({@code server.tls}, {@code gateway.upstream.tls}): {@code enabled},
 * {@code certificate}, {@code key}, {@code peers}, {@code provider}, {@code key-exchange}, {@code handshake-timeout}. Read in two steps so
 * each daemon can check its own keys in between: {@link #read} takes every key even when TLS is off (a typo does
 * not wait for the day TLS is turned on), {@link #load} loads the key files when it is on (a bad file is a config
 * error naming it). One wording for both daemons.
 *
 * @param handshakeTimeout the TLS handshake's own limit, cut to the SOCKS5 handshake's timer, which runs over TLS
 *                         and SOCKS5 together (a longer value beside a lowered one is cut rather than refused)
 */
public record TlsSection(ConfigReader block, boolean enabled, String certificate, String key, List<String> peerEntries,
                         TlsProvider provider, KeyExchange keyExchange, Duration handshakeTimeout) {

    /** Reads and checks the shared keys of {@code block}; loads nothing. */
    public static TlsSection read(ConfigReader block, Duration socksHandshake) {
        boolean enabled = block.bool("enabled");
        String certificate = block.string("certificate");
        String key = block.string("key");
        List<String> peerEntries = block.strings("peers");
        TlsProvider provider;
        try {
            provider = TlsProvider.parse(block.string("provider"));
        } catch (IllegalArgumentException e) {
            throw block.error("provider", e.getMessage());
        }
        KeyExchange keyExchange;
        try {
            keyExchange = KeyExchange.parse(block.string("key-exchange"));
        } catch (IllegalArgumentException e) {
            throw block.error("key-exchange", e.getMessage());
        }
        if (keyExchange == KeyExchange.HYBRID && provider == TlsProvider.JDK) {
            throw block.error("key-exchange", "hybrid needs provider = openssl (Java 17's TLS has no ML-KEM)");
        }
        Duration timeout = block.duration("handshake-timeout", false);
        if (timeout.compareTo(socksHandshake) > 0) {
            timeout = socksHandshake;
        }
        return new TlsSection(block, enabled, certificate, key, peerEntries, provider, keyExchange, timeout);
    }

    /** This router's own key and the peers it pins, for TLS on; {@code peersKey} is the full key name for errors. */
    public Loaded load(String peersKey) {
        if (certificate.isEmpty()) {
            throw block.error("certificate", "empty; with TLS on, give the cert.pem that 'mpgw keys' wrote");
        }
        if (key.isEmpty()) {
            throw block.error("key", "empty; with TLS on, give the key.pem that 'mpgw keys' wrote");
        }
        if (!provider.isAvailable()) {
            Throwable cause = provider.unavailabilityCause();
            throw block.error("provider", "openssl (BoringSSL) does not load on this machine ("
                    + (cause == null ? "unknown reason" : cause.getMessage()) + "); use jdk");
        }
        PinnedPeers peers = PinnedPeers.parse(block.file() + ": key '" + peersKey + "'", peerEntries);
        return new Loaded(KeyFiles.load(Path.of(certificate), Path.of(key)), peers);
    }

    /** What {@link #load} gives: the key files read and the pinned fingerprints parsed. */
    public record Loaded(KeyMaterial own, PinnedPeers peers) {
    }
}
