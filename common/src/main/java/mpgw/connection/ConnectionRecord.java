package mpgw.connection;

import io.netty.channel.Channel;
import io.netty.util.AttributeKey;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import mpgw.config.Addresses;

/**
 * What happened to one client connection, filled in as it goes and ended once, with one log line in the same
 * words in both daemons:
 * <pre>
 * conn=7f3a client=10.0.0.2:50312 cmd=CONNECT dest=example.org:443 via=93.184.215.14:443 up=812 down=20433
 *     ms=1834 outcome=relayed
 * conn=8fcb client=192.168.70.2:49650 dest=192.168.80.2:7999 server=10.1.1.2:1080 up=0 down=0 ms=70
 *     outcome=refused detail="..."
 * </pre>
 * (one line each).
 * Fields: {@code conn} (channel id), {@code client}, {@code cmd} (socks-server only), {@code dest} (where the client
 * wanted to go, as it named it), the peer field (gateway: {@code server}, the socks-server it used; socks-server:
 * {@code via}, the resolved destination), {@code up} (client to destination) and {@code down} bytes, {@code ms}
 * since accept, {@code outcome} ({@link Outcome#tag()}), and when known {@code reply} (the SOCKS5 reply of a
 * refusal, e.g. {@code connection-refused}) and {@code detail} (quoted free text). Text a peer supplied (a domain
 * name, a username in an error) passes through {@link LogText} first.
 *
 * <p>Lifecycle: {@link #attach} when the connection is accepted; a close before {@link #relaying()} ends the record
 * with the outcome so far ({@link Outcome#CLIENT_GONE} unless set); after it the relay's end does
 * ({@link #relayEnded}). {@code onEnd} runs once and decides where and how loud the line goes.
 *
 * <p>Threading: touched only on the connection's event loop.
 */
public final class ConnectionRecord {
    public static final AttributeKey<ConnectionRecord> KEY = AttributeKey.valueOf(ConnectionRecord.class, "record");

    private final String id;
    private final InetSocketAddress client;
    private final String peerField;
    private final Consumer<ConnectionRecord> onEnd;
    private final long startNanos = System.nanoTime();
    private String command;
    private InetSocketAddress destination;
    private InetSocketAddress peer;
    private String peerCertificate;
    private long bytesUp;
    private long bytesDown;
    private Outcome outcome = Outcome.CLIENT_GONE;
    private String reply;
    private String detail;
    private boolean relaying;
    private boolean ended;
    private boolean cut;

    private ConnectionRecord(Channel ch, InetSocketAddress client, String peerField, Consumer<ConnectionRecord> onEnd) {
        this.id = ch.id().asShortText();
        this.client = client;
        this.peerField = peerField;
        this.onEnd = onEnd;
    }

    /**
     * A new record for an accepted channel, stored in its {@link #KEY} attribute.
     *
     * @param peerField the name of the peer field: {@code server} or {@code via}
     * @param onEnd     receives the record once, when it ends (to log {@link #line()}, count the outcome)
     */
    public static ConnectionRecord attach(Channel ch, InetSocketAddress client, String peerField,
                                          Consumer<ConnectionRecord> onEnd) {
        ConnectionRecord record = new ConnectionRecord(ch, client, peerField, onEnd);
        ch.attr(KEY).set(record);
        ch.closeFuture().addListener(f -> {
            if (!record.relaying) {
                record.end();
            }
        });
        return record;
    }

    public static ConnectionRecord of(Channel ch) {
        return ch.attr(KEY).get();
    }

    /** The SOCKS5 command ({@code CONNECT}, {@code UDP_ASSOCIATE}, ...); without one the line has no cmd field. */
    public void command(String command) {
        this.command = command;
    }

    /** The client's address, as accepted. */
    public InetSocketAddress client() {
        return client;
    }

    public InetSocketAddress destination() {
        return destination;
    }

    public void destination(InetSocketAddress destination) {
        this.destination = destination;
    }

    /** The address in the peer field. */
    public void peer(InetSocketAddress peer) {
        this.peer = peer;
    }

    /**
     * The TLS peer's certificate fingerprint as the {@code peer} field shows it, right after the peer address
     * field; the line has no {@code peer} field without TLS.
     */
    public void peerCertificate(String fingerprint) {
        this.peerCertificate = fingerprint;
    }

    public void addBytes(long up, long down) {
        bytesUp += up;
        bytesDown += down;
    }

    public void outcome(Outcome outcome, String detail) {
        this.outcome = outcome;
        this.detail = detail;
    }

    /** Ended by a SOCKS5 reply other than success, e.g. {@code host-unreachable} (see {@link #replyName}). */
    public void refused(String reply, String detail) {
        outcome(Outcome.REFUSED, detail);
        this.reply = reply;
    }

    /** Adds why the connection ended without changing the outcome (an idle timeout, an error mid-relay). */
    public void detail(String detail) {
        this.detail = detail;
    }

    public Outcome outcome() {
        return outcome;
    }

    public long bytesUp() {
        return bytesUp;
    }

    public long bytesDown() {
        return bytesDown;
    }

    /** The relay took over: the record ends with {@link #relayEnded}, not when the channel closes. */
    public void relaying() {
        relaying = true;
    }

    /** The relay ended having moved these bytes (added to those counted before it). */
    public void relayEnded(long up, long down) {
        outcome = Outcome.RELAYED;
        addBytes(up, down);
        end();
    }

    /**
     * The daemon is cutting this connection at the end of its shutdown grace period: whenever the record ends,
     * its outcome is {@link Outcome#CUT}.
     */
    public void cut() {
        cut = true;
    }

    /** Ends the record once (later calls do nothing): hands it to {@code onEnd}. */
    public void end() {
        if (ended) {
            return;
        }
        ended = true;
        if (cut) {
            outcome = Outcome.CUT;
        }
        onEnd.accept(this);
    }

    /** The start of every line about this connection: {@code conn=… client=… [cmd=…] dest=…}. */
    public String describe() {
        return "conn=" + id + " client=" + Addresses.format(client) + (command == null ? "" : " cmd=" + command)
                + " dest=" + LogText.value(Addresses.format(destination));
    }

    /** The connection's log line. */
    public String line() {
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
        return describe() + " " + peerField + "=" + Addresses.format(peer)
                + (peerCertificate == null ? "" : " peer=" + peerCertificate) + " up=" + bytesUp + " down=" + bytesDown
                + " ms=" + ms + " outcome=" + outcome.tag() + (reply == null ? "" : " reply=" + reply)
                + (detail == null ? "" : " detail=" + LogText.quoted(detail));
    }

    /** A SOCKS5 reply status as the {@code reply} field spells it: {@code HOST_UNREACHABLE(4)} → host-unreachable. */
    public static String replyName(Object status) {
        String s = String.valueOf(status);
        int paren = s.indexOf('(');
        return (paren > 0 ? s.substring(0, paren) : s).toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }
}
