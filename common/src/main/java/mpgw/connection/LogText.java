package mpgw.connection;

import java.nio.charset.StandardCharsets;

/**
 * Makes text a peer supplied (a SOCKS5 domain name, a username, an error message quoting either) safe for a log
 * line: one line, printable ASCII only. A backslash and a double quote are escaped with a backslash, newline,
 * carriage return and tab as {@code \n}, {@code \r}, {@code \t}, every other control or non-ASCII character below
 * U+0100 as {@code \xNN} (the byte the peer sent: SOCKS5 names are read as ISO-8859-1) and any other character as
 * the {@code \xNN} of its UTF-8 bytes. So a client cannot forge or split log lines, nor put bytes in them that a
 * terminal would interpret.
 *
 * <p>Stateless.
 */
public final class LogText {
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private LogText() {
    }

    /** A field value: escaped, and spaces as {@code \x20} so the value stays one field. {@code null} is "-". */
    public static String value(String s) {
        return s == null ? "-" : escape(s, true);
    }

    /** Free text in double quotes, spaces kept: {@code "auth failed for user 'a\nb'"}. */
    public static String quoted(String s) {
        return '"' + escape(String.valueOf(s), false) + '"';
    }

    private static String escape(String s, boolean spaces) {
        StringBuilder out = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean plain = c > ' ' && c < 0x7f && c != '\\' && c != '"' || c == ' ' && !spaces;
            if (plain) {
                if (out != null) {
                    out.append(c);
                }
                continue;
            }
            if (out == null) {
                out = new StringBuilder(s.length() + 16).append(s, 0, i);
            }
            switch (c) {
                case '\\' -> out.append("\\\\");
                case '"' -> out.append("\\\"");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x100) {
                        hex(out, c);
                    } else {
                        int end = Character.isHighSurrogate(c) && i + 1 < s.length() ? i + 2 : i + 1;
                        for (byte b : s.substring(i, end).getBytes(StandardCharsets.UTF_8)) {
                            hex(out, b & 0xff);
                        }
                        i = end - 1;
                    }
                }
            }
        }
        return out == null ? s : out.toString();
    }

    private static void hex(StringBuilder out, int b) {
        out.append("\\x").append(HEX[b >> 4]).append(HEX[b & 0xf]);
    }
}
