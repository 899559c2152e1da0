package mpgw.gateway.config;

import java.time.Duration;
import mpgw.config.ConfigReader;
import mpgw.tls.KeyExchange;
import mpgw.tls.KeyMaterial;
import mpgw.tls.PinnedPeers;
import mpgw.tls.TlsProvider;
import mpgw.tls.TlsSection;

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
                                  KeyExchange keyExchange, Duration handshakeTimeout) {

    /** TLS off: the upstream speaks SOCKS5 in clear. */
    public static final UpstreamTlsSettings OFF =
            new UpstreamTlsSettings(false, null, null, TlsProvider.OPENSSL, KeyExchange.X25519, Duration.ofSeconds(5));

    /**
     * @param t              the {@code gateway.upstream.tls} block
     * @param socksHandshake {@code timeouts.handshake}, which runs over TLS and SOCKS5 together
     * @param udp            the UDP settings: the {@code associate} carrier cannot ride TLS
     */
    static UpstreamTlsSettings from(ConfigReader t, Duration socksHandshake, UdpSettings udp) {
        TlsSection section = TlsSection.read(t, socksHandshake);
        if (!section.enabled()) {
            return new UpstreamTlsSettings(false, null, null, section.provider(), section.keyExchange(),
                    section.handshakeTimeout());
        }
        if (udp.enabled() && udp.mode() == UdpSettings.Mode.ASSOCIATE) {
            throw t.error("enabled", "on, but gateway.udp.mode = associate sends datagrams outside the TLS stream,"
                    + " in clear; use gateway.udp.mode = stream (FWD UDP inside TLS) or gateway.udp.enabled = off");
        }
        TlsSection.Loaded loaded = section.load("gateway.upstream.tls.peers");
        return new UpstreamTlsSettings(true, loaded.own(), loaded.peers(), section.provider(), section.keyExchange(),
                section.handshakeTimeout());
    }
}
