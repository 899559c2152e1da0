package mpgw.tls;

/**
 * Text from a peer or from an exception about a peer, made safe for one log line: printable ASCII is kept,
 * everything else (control characters, line breaks, non-ASCII) becomes {@code \xNN} or {@code \\uNNNN}, and the
 * result is cut to a maximum length with a marker. Stateless.
 */
public final class LogText {
    private LogText() {
    }

    /** {@code text} escaped and cut to at most {@code max} characters (plus a trailing "..." when cut). */
    public static String escape(CharSequence text, int max) {
        if (text == null) {
            return "";
        }
        StringBuilder b = new StringBuilder(Math.min(text.length(), max) + 8);
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            String piece;
            if (c >= 0x20 && c < 0x7f && c != '\\') {
                piece = String.valueOf(c);
            } else if (c == '\\') {
                piece = "\\\\";
            } else if (c < 0x100) {
                piece = String.format("\\x%02x", (int) c);
            } else {
                piece = String.format("\\u%04x", (int) c);
            }
            if (b.length() + piece.length() > max) {
                return b.append("...").toString();
            }
            b.append(piece);
        }
        return b.toString();
    }
}
