package mpgw.gateway.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import mpgw.config.ConfigReader;
import mpgw.tls.KeyFiles;
import mpgw.tls.KeyMaterial;
import mpgw.tls.PinnedPeers;
import mpgw.tls.TlsProvider;

/**
 * {@code gateway.upstream.tls}: off, or TLS 1.3 on every upstream connection to router B (TCP flows, pool
 * members, the UDP stream carrier), with this router's own key and the server certificates it accepts pinned by
 * fingerprint (docs/tls.md). The key files are loaded while the config is read, so a bad file is a config error
 * naming it. The same wording as the socks-server's {@code server.tls}.
 *
 * @param own              this router's key and certificate; null when off
 * @param peers            the socks-servers' certificate fingerprints accepted; null when off
 * @param handshakeTimeout the TLS handshake's own limit, within {@code timeouts.handshake}
 */
public record UpstreamTlsSettings(boolean enabled, KeyMaterial own, PinnedPeers peers, TlsProvider provider,
                                  Duration handshakeTimeout) {

    /** TLS off: the upstream speaks SOCKS5 in clear. */
    public static final UpstreamTlsSettings OFF =
            new UpstreamTlsSettings(false, null, null, TlsProvider.OPENSSL, Duration.ofSeconds(5));

    /**
     * @param t              the {@code gateway.upstream.tls} block
     * @param socksHandshake {@code timeouts.handshake}, which runs over TLS and SOCKS5 together
     * @param udp            the UDP settings: the {@code associate} carrier cannot ride TLS
     */
    static UpstreamTlsSettings from(ConfigReader t, Duration socksHandshake, UdpSettings udp) {
        // Every key is read and checked even when off, so a typo does not wait for the day TLS is turned on.
        boolean enabled = t.bool("enabled");
        String certificate = t.string("certificate");
        String key = t.string("key");
        List<String> peerEntries = t.strings("peers");
        TlsProvider provider;
        try {
            provider = TlsProvider.parse(t.string("provider"));
        } catch (IllegalArgumentException e) {
            throw t.error("provider", e.getMessage());
        }
        Duration timeout = t.duration("handshake-timeout", false);
        if (timeout.compareTo(socksHandshake) > 0) {
            timeout = socksHandshake; // the SOCKS5 handshake's timer covers TLS as well: the shorter one decides
        }
        if (!enabled) {
            return new UpstreamTlsSettings(false, null, null, provider, timeout);
        }
        if (udp.enabled() && udp.mode() == UdpSettings.Mode.ASSOCIATE) {
            throw t.error("enabled", "on, but gateway.udp.mode = associate sends datagrams outside the TLS stream,"
                    + " in clear; use gateway.udp.mode = stream (FWD UDP inside TLS) or gateway.udp.enabled = off");
        }
        if (certificate.isEmpty()) {
            throw t.error("certificate", "empty; with TLS on, give the cert.pem that 'mpgw keys' wrote");
        }
        if (key.isEmpty()) {
            throw t.error("key", "empty; with TLS on, give the key.pem that 'mpgw keys' wrote");
        }
        if (!provider.isAvailable()) {
            Throwable cause = provider.unavailabilityCause();
            throw t.error("provider", "openssl (BoringSSL) does not load on this machine ("
                    + (cause == null ? "unknown reason" : cause.getMessage()) + "); use jdk");
        }
        PinnedPeers peers = PinnedPeers.parse(t.file() + ": key 'gateway.upstream.tls.peers'", peerEntries);
        KeyMaterial own = KeyFiles.load(Path.of(certificate), Path.of(key));
        return new UpstreamTlsSettings(true, own, peers, provider, timeout);
    }
}
