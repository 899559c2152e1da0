package mpgw.server;

import io.netty.channel.Channel;
import io.netty.util.AttributeKey;
import java.net.InetSocketAddress;
import java.util.Locale;
import mpgw.config.Addresses;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * What happened to one client connection, filled in as it goes and logged as one line when it ends:
 * {@code conn=7f3a client=10.0.0.2:50312 cmd=CONNECT dest=example.org:443 via=93.184.215.14:443 up=812
 * down=20433 ms=1834 outcome=succeeded}.
 *
 * <p>Threading: touched only on the connection's event loop.
 */
final class ConnectionRecord {
    static final AttributeKey<ConnectionRecord> KEY = AttributeKey.valueOf(ConnectionRecord.class, "record");
    private static final Logger LOG = LogManager.getLogger("mpgw.server.connections");

    final String id;
    final InetSocketAddress client;
    final long startNanos = System.nanoTime();
    String command = "-";
    InetSocketAddress destination;
    InetSocketAddress resolved;
    String outcome = "closed-during-handshake";
    String detail;
    long bytesUp;
    long bytesDown;
    /** Set while a relay owns the end of the connection (its callback logs, not the close listener). */
    boolean relaying;
    private boolean logged;

    ConnectionRecord(Channel ch, InetSocketAddress client) {
        this.id = ch.id().asShortText();
        this.client = client;
    }

    static ConnectionRecord of(Channel ch) {
        return ch.attr(KEY).get();
    }

    void outcome(String outcome, String detail) {
        this.outcome = outcome;
        this.detail = detail;
    }

    /** Sets the outcome from a SOCKS5 reply status, e.g. {@code connection-refused}. */
    void outcome(io.netty.handler.codec.socksx.v5.Socks5CommandStatus status, String detail) {
        outcome(statusName(status), detail);
    }

    static String statusName(io.netty.handler.codec.socksx.v5.Socks5CommandStatus status) {
        String s = status.toString();
        int paren = s.indexOf('(');
        return (paren > 0 ? s.substring(0, paren) : s).toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** Logs the line once; later calls do nothing. */
    void end() {
        if (logged) {
            return;
        }
        logged = true;
        long ms = (System.nanoTime() - startNanos) / 1_000_000;
        LOG.info("conn={} client={} cmd={} dest={} via={} up={} down={} ms={} outcome={}{}", id,
                Addresses.format(client), command, Addresses.format(destination), Addresses.format(resolved),
                bytesUp, bytesDown, ms, outcome, detail == null ? "" : " (" + detail + ")");
    }
}
