package mpgw.server;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import io.netty.handler.ssl.JdkSslContext;
import mpgw.tls.KeyFiles;
import mpgw.tls.KeyGeneration;
import mpgw.tls.KeyMaterial;
import mpgw.tls.PinnedPeers;
import mpgw.tls.TlsContexts;
import mpgw.tls.TlsProvider;

/**
 * Keys for TLS tests: a router's key pair written as {@code mpgw keys} would ({@code cert.pem}, {@code key.pem} in a
 * fresh directory), the {@code server.tls} config naming them, and a blocking TLS 1.3 SOCKS5 client (the JDK's
 * SSLSocket from a {@link TlsContexts} client context) presenting a gateway key and pinning the server's.
 */
final class TlsKeys {
    final KeyMaterial keys;
    final Path dir;

    private TlsKeys(String name) throws IOException {
        keys = KeyGeneration.generate(name);
        dir = Files.createTempDirectory("mpgw-tls-" + name);
        dir.toFile().deleteOnExit();
        KeyFiles.write(dir, keys);
        dir.resolve(KeyFiles.KEY_FILE).toFile().deleteOnExit();
        dir.resolve(KeyFiles.CERT_FILE).toFile().deleteOnExit();
    }

    static TlsKeys make(String name) throws IOException {
        return new TlsKeys(name);
    }

    String fingerprint() {
        return keys.fingerprint().toString();
    }

    /** {@code tls { enabled = on, ... }} with these keys as the server's and {@code peers} pinned, plus {@code more}. */
    String serverConfig(String provider, String more, TlsKeys... peers) {
        StringBuilder list = new StringBuilder();
        for (TlsKeys p : peers) {
            list.append(list.length() == 0 ? "" : ", ").append('"').append(p.fingerprint()).append('"');
        }
        return "\ntls { enabled = on, provider = " + provider + ", certificate = \""
                + dir.resolve(KeyFiles.CERT_FILE) + "\", key = \"" + dir.resolve(KeyFiles.KEY_FILE) + "\", peers = ["
                + list + "]\n" + more + " }\n";
    }

    /** A SOCKS5 client over TLS 1.3 with these keys, pinning {@code server}; the handshake done. */
    SocksClient connect(InetSocketAddress address, TlsKeys server) throws IOException {
        SSLContext jdk = ((JdkSslContext) TlsContexts.client(keys, PinnedPeers.of(java.util.List.of(
                server.keys.fingerprint())), TlsProvider.JDK)).context();
        Socket plain = new Socket();
        plain.connect(address, 5000);
        SSLSocket tls = (SSLSocket) jdk.getSocketFactory().createSocket(plain, address.getHostString(),
                address.getPort(), true);
        tls.setEnabledProtocols(new String[] {TlsContexts.TLS13});
        tls.setUseClientMode(true);
        tls.setSoTimeout(5000);
        tls.startHandshake();
        return new SocksClient(tls);
    }
}
