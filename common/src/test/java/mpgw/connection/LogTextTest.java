package mpgw.connection;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Peer-supplied text in a log line: one line, printable ASCII, nothing a terminal interprets. */
class LogTextTest {
    @Test
    void plainTextPassesUnchanged() {
        assertEquals("example.org:443", LogText.value("example.org:443"));
        assertEquals("\"auth failed for user 'alice'\"", LogText.quoted("auth failed for user 'alice'"));
    }

    @Test
    void lineBreaksControlAndNonAsciiBytesAreEscaped() {
        assertEquals("evil\\nconn=forged\\r\\t\\x00\\x1b[31m\\x7f:80",
                LogText.value("evil\nconn=forged\r\t\0\u001b[31m\u007f:80"));
        // SOCKS5 names are read as ISO-8859-1: a byte 0xe9 is the char U+00E9.
        assertEquals("caf\\xe9.example", LogText.value("caf\u00e9.example"));
        assertEquals("\\xe2\\x82\\xac\\xf0\\x9f\\x98\\x80", LogText.value("\u20ac\ud83d\ude00"));
    }

    @Test
    void aFieldValueStaysOneFieldAndQuotedTextStaysQuoted() {
        assertEquals("a\\x20outcome=relayed", LogText.value("a outcome=relayed"));
        assertEquals("\"say \\\"hi\\\" \\\\ bye\"", LogText.quoted("say \"hi\" \\ bye"));
        assertEquals("-", LogText.value(null));
    }
}
