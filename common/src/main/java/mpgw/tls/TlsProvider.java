package mpgw.tls;

import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslProvider;
import java.util.Locale;

/**
 * Which TLS implementation runs under Netty's {@code SslHandler}: the JDK's own ({@code jdk}) or BoringSSL through
 * netty-tcnative ({@code openssl}, Linux x86_64 and aarch64). The config spelling is {@link #configName()}.
 */
public enum TlsProvider {
    JDK("jdk"),
    OPENSSL("openssl");

    private final String configName;

    TlsProvider(String configName) {
        this.configName = configName;
    }

    public String configName() {
        return configName;
    }

    /**
     * The default: {@code openssl} where BoringSSL loads, else {@code jdk}. BoringSSL moved twice the bytes per CPU
     * second and set up six times the connections per second in docs/tls.md's measurement.
     */
    public static TlsProvider preferred() {
        return OPENSSL.isAvailable() ? OPENSSL : JDK;
    }

    /** @throws IllegalArgumentException naming the allowed values */
    public static TlsProvider parse(String text) {
        for (TlsProvider p : values()) {
            if (p.configName.equals(text.strip().toLowerCase(Locale.ROOT))) {
                return p;
            }
        }
        throw new IllegalArgumentException("unknown TLS provider '" + LogText.escape(text, 40)
                + "'; use jdk or openssl");
    }

    /** Whether this provider can run here ({@code openssl} needs the BoringSSL native library for this platform). */
    public boolean isAvailable() {
        return this == JDK || OpenSsl.isAvailable();
    }

    /** Why {@link #isAvailable()} is false, or null. */
    public Throwable unavailabilityCause() {
        return this == JDK ? null : OpenSsl.unavailabilityCause();
    }

    SslProvider netty() {
        if (!isAvailable()) {
            Throwable cause = unavailabilityCause();
            throw new IllegalStateException("TLS provider openssl is not available on this machine ("
                    + (cause == null ? "unknown reason" : cause.getMessage()) + "); use jdk", cause);
        }
        return this == JDK ? SslProvider.JDK : SslProvider.OPENSSL;
    }
}
