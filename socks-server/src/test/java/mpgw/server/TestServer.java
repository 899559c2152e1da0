package mpgw.server;

import java.net.InetSocketAddress;
import java.time.Duration;
import mpgw.config.ConfigFiles;
import mpgw.jni.MptcpSocketFactory;
import mpgw.testing.Netns;

/**
 * A running {@link SocksServer} for a test: one event loop, listening on 127.0.0.1 port 0 unless the config
 * says otherwise; {@code hocon} (keys under {@code server}) overrides those defaults and reference.conf.
 */
final class TestServer implements AutoCloseable {
    /** Lets tests reach their loopback echo servers; the default config denies loopback. */
    static final String ALLOW_LOOPBACK = "destinations.deny = [], destinations.deny-own-addresses = false";

    final SocksServer server;
    final RecordingEvents events = new RecordingEvents();
    final ServerSettings settings;

    private TestServer(String hocon) throws mpgw.daemon.DaemonStartException {
        settings = ServerSettings.from(ConfigFiles.fromString(
                "listen = [\"127.0.0.1:0\"]\nevent-loop-threads = 1\n" + hocon, ServerSettings.ROOT));
        server = new SocksServer(settings, new MptcpSocketFactory(settings.mptcp()), events);
        server.start();
    }

    static TestServer start(String hocon) throws mpgw.daemon.DaemonStartException {
        return new TestServer(hocon);
    }

    /**
     * Starts the server from a thread inside {@code ns}: its listeners, event-loop thread (started from there)
     * and so its outbound sockets all live in that namespace.
     */
    static TestServer startIn(Netns ns, String hocon) throws Exception {
        return ns.call(() -> new TestServer(hocon));
    }

    InetSocketAddress address() {
        return server.boundAddresses().get(0);
    }

    @Override
    public void close() {
        server.stop(Duration.ZERO);
    }
}
