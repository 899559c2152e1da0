package mpgw.connection;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.embedded.EmbeddedChannel;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The connection line both daemons write: its fields, its one end, and escaped peer text. */
class ConnectionRecordTest {
    private final List<String> lines = new ArrayList<>();
    private final EmbeddedChannel ch = new EmbeddedChannel();

    private ConnectionRecord record(String peerField) {
        return ConnectionRecord.attach(ch, new InetSocketAddress("10.0.0.2", 50312), peerField,
                r -> lines.add(r.line()));
    }

    @Test
    void aRelayedConnectionHasEveryField() {
        ConnectionRecord r = record("via");
        r.command("CONNECT");
        r.destination(InetSocketAddress.createUnresolved("example.org", 443));
        r.peer(new InetSocketAddress("93.184.215.14", 443));
        r.relaying();
        ch.close();
        assertTrue(lines.isEmpty(), "a relaying connection ends with its relay, not its close");
        r.addBytes(12, 0);
        r.relayEnded(800, 20433);
        r.end();
        assertEquals(1, lines.size(), lines.toString());
        assertTrue(lines.get(0).matches("conn=\\S+ client=10\\.0\\.0\\.2:50312 cmd=CONNECT dest=example\\.org:443"
                + " via=93\\.184\\.215\\.14:443 up=812 down=20433 ms=\\d+ outcome=relayed"), lines.get(0));
    }

    @Test
    void aCloseBeforeTheRelayEndsItAsClientGoneOrWithItsOutcome() {
        ConnectionRecord r = record("server");
        r.refused("host-unreachable", "no such host");
        ch.close();
        assertEquals(1, lines.size());
        assertTrue(lines.get(0).matches("conn=\\S+ client=10\\.0\\.0\\.2:50312 dest=- server=- up=0 down=0 ms=\\d+"
                + " outcome=refused reply=host-unreachable detail=\"no such host\""), lines.get(0));

        lines.clear();
        EmbeddedChannel other = new EmbeddedChannel();
        ConnectionRecord.attach(other, new InetSocketAddress("10.0.0.3", 1), "server", x -> lines.add(x.line()));
        other.close();
        assertTrue(lines.get(0).endsWith(" outcome=client-gone"), lines.get(0));
    }

    @Test
    void peerSuppliedTextCannotSplitTheLine() {
        ConnectionRecord r = record("via");
        r.destination(InetSocketAddress.createUnresolved("evil\nconn=forged outcome=relayed", 80));
        r.outcome(Outcome.HANDSHAKE_FAILED, "authentication failed for user 'a\nb'");
        r.end();
        String line = lines.get(0);
        assertEquals(-1, line.indexOf('\n'), line);
        assertTrue(line.contains(" dest=evil\\nconn=forged\\x20outcome=relayed:80 "), line);
        assertTrue(line.endsWith(" outcome=handshake-failed detail=\"authentication failed for user 'a\\nb'\""), line);
    }
}
