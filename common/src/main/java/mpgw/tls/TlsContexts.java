package mpgw.tls;

import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.OpenSslContextOption;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.util.List;
import javax.net.ssl.SSLException;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Builds the two ends of the hop between the routers: TLS 1.3 only, each side presenting its own
 * {@link KeyMaterial} and accepting only pinned peers ({@link PinningTrustManager}); the server requires a client
 * certificate. No CA store and no host name check take part.
 *
 * <p><b>Resumption.</b> The client context keeps a session cache, so a new connection to the same server resumes
 * (TLS 1.3 PSK from a ticket: no certificate exchange, no signatures) when its {@code SslHandler} is made with
 * {@link SslContext#newHandler(io.netty.buffer.ByteBufAllocator, String, int)}: the cache is keyed by the
 * server's host and port. A resumed session was authenticated by the pinning check when it was first made; its
 * tickets are encrypted with keys that live only as long as the server's context, so a server restarted with a
 * fingerprint removed does not resume that peer's old sessions.
 *
 * <p><b>Key exchange.</b> With the {@code openssl} provider both ends offer and accept X25519 only, unless the
 * config says {@code key-exchange = hybrid} ({@link KeyExchange}). Netty's default for BoringSSL puts the hybrid post-quantum {@code X25519MLKEM768}
 * first (a client then sends an ML-KEM-768 and an X25519 key share), and in a profile of the flow-setup bench
 * (docs/BENCHMARKS.md, "CPU per new flow with TLS") ML-KEM's key generation, encapsulation and decapsulation were
 * the largest single item of both routers' CPU per flow: 13 % of router B's event-loop time and 15 % of router
 * A's. X25519 keeps TLS 1.3's forward secrecy against today's attackers; what it gives up is protection of
 * recorded traffic against a future quantum computer (docs/tls.md, "Key exchange"). The {@code jdk} provider
 * (Java 17) has no ML-KEM and offers X25519 first anyway.
 *
 * <p>A built {@link SslContext} is thread-safe and meant to be shared by all connections of a listener or
 * upstream.
 */
public final class TlsContexts {
    public static final String TLS13 = "TLSv1.3";
    /** Client sessions kept for resumption (one per server address and ticket; the hop has a handful). */
    static final long CLIENT_SESSION_CACHE = 256;
    /** Seconds a client offers a ticket for; the server's own ticket lifetime may be shorter. */
    static final long SESSION_TIMEOUT_SECONDS = 3600;

    private TlsContexts() {
    }

    /** The server end: requires and pins a client certificate; X25519 key exchange. */
    public static SslContext server(KeyMaterial own, PinnedPeers peers, TlsProvider provider) throws SSLException {
        return server(own, peers, provider, KeyExchange.X25519);
    }

    /** The server end with the configured key exchange. */
    public static SslContext server(KeyMaterial own, PinnedPeers peers, TlsProvider provider, KeyExchange keyExchange)
            throws SSLException {
        SslContextBuilder b = SslContextBuilder.forServer(own.privateKey(), own.certificate())
                .clientAuth(ClientAuth.REQUIRE);
        return common(b, new PinningTrustManager(peers), provider, keyExchange, null).build();
    }

    /** The client end: pins the server's certificate and presents its own; X25519 key exchange. */
    public static SslContext client(KeyMaterial own, PinnedPeers peers, TlsProvider provider) throws SSLException {
        return client(own, peers, provider, KeyExchange.X25519);
    }

    /** The client end with the configured key exchange. */
    public static SslContext client(KeyMaterial own, PinnedPeers peers, TlsProvider provider, KeyExchange keyExchange)
            throws SSLException {
        return clientBuilder(own, new PinningTrustManager(peers), provider, keyExchange, null).build();
    }

    /**
     * The server end with a given trust manager and, when {@code ciphers} is not null, those TLS 1.3 suites
     * ({@code TLS_AES_128_GCM_SHA256}, {@code TLS_CHACHA20_POLY1305_SHA256}, ...) in that order of preference.
     */
    public static SslContext server(KeyMaterial own, X509ExtendedTrustManager trust, TlsProvider provider,
                                    List<String> ciphers) throws SSLException {
        SslContextBuilder b = SslContextBuilder.forServer(own.privateKey(), own.certificate())
                .clientAuth(ClientAuth.REQUIRE);
        return common(b, trust, provider, KeyExchange.X25519, ciphers).build();
    }

    /** The client end with a given trust manager and optional cipher suites, as {@link #server}. */
    public static SslContext client(KeyMaterial own, X509ExtendedTrustManager trust, TlsProvider provider,
                                    List<String> ciphers) throws SSLException {
        return clientBuilder(own, trust, provider, KeyExchange.X25519, ciphers).build();
    }

    private static SslContextBuilder clientBuilder(KeyMaterial own, X509ExtendedTrustManager trust,
                                                   TlsProvider provider, KeyExchange keyExchange, List<String> ciphers) {
        SslContextBuilder b = SslContextBuilder.forClient()
                .keyManager(own.privateKey(), own.certificate())
                // Netty 4.2 checks the host name on clients by default; the pin is the server's identity.
                .endpointIdentificationAlgorithm(null)
                .sessionCacheSize(CLIENT_SESSION_CACHE)
                .sessionTimeout(SESSION_TIMEOUT_SECONDS);
        return common(b, trust, provider, keyExchange, ciphers);
    }

    private static SslContextBuilder common(SslContextBuilder b, X509ExtendedTrustManager trust,
                                            TlsProvider provider, KeyExchange keyExchange, List<String> ciphers) {
        b.sslProvider(provider.netty()).protocols(TLS13).trustManager(trust);
        if (provider == TlsProvider.OPENSSL) {
            b.option(OpenSslContextOption.GROUPS, keyExchange.openSslGroups().toArray(String[]::new));
        }
        if (ciphers != null) {
            b.ciphers(ciphers);
        }
        return b;
    }
}
