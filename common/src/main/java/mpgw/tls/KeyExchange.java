package mpgw.tls;

import java.util.List;

/**
 * The key exchange of the hop between the routers ({@code key-exchange} in {@code server.tls} and
 * {@code gateway.upstream.tls}), both ends alike. {@link #X25519}, the default, keeps TLS 1.3's forward secrecy at
 * the least CPU per new connection; {@link #HYBRID} adds ML-KEM-768 to it (X25519MLKEM768, the post-quantum hybrid
 * that browsers and OpenSSH use), so that traffic recorded today stays secret from a future quantum computer, at
 * 13-15 % more CPU per new connection on each router (docs/tls.md, "Key exchange"). Hybrid needs the
 * {@code openssl} provider: Java 17's TLS has no ML-KEM.
 */
public enum KeyExchange {
    X25519("x25519", List.of("X25519")),
    /** X25519MLKEM768 offered first; an end that has only X25519 still agrees on it. */
    HYBRID("hybrid", List.of("X25519MLKEM768", "X25519"));

    private final String configName;
    private final List<String> openSslGroups;

    KeyExchange(String configName, List<String> openSslGroups) {
        this.configName = configName;
        this.openSslGroups = openSslGroups;
    }

    /** The config's word for it. */
    public String configName() {
        return configName;
    }

    /** The groups BoringSSL offers and accepts, in order of preference (its names). */
    List<String> openSslGroups() {
        return openSslGroups;
    }

    /** {@code x25519} or {@code hybrid}; anything else is an {@link IllegalArgumentException} naming both. */
    public static KeyExchange parse(String value) {
        for (KeyExchange k : values()) {
            if (k.configName.equals(value)) {
                return k;
            }
        }
        throw new IllegalArgumentException("'" + LogText.escape(value, 40) + "' is not a key exchange; use x25519 or hybrid");
    }
}
