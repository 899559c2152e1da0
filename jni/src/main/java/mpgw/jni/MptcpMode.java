package mpgw.jni;

import java.util.Locale;

/**
 * What to do when the kernel refuses {@code IPPROTO_MPTCP}.
 *
 * <ul>
 *   <li>{@link #REQUIRED}: fail, with a message that says how to enable MPTCP.</li>
 *   <li>{@link #PREFERRED}: fall back to plain TCP; logged once and counted.</li>
 *   <li>{@link #OFF}: plain TCP always.</li>
 * </ul>
 */
public enum MptcpMode {
    REQUIRED, PREFERRED, OFF;

    /** Parses the config spelling ({@code required | preferred | off}). */
    public static MptcpMode parse(String value) {
        try {
            return valueOf(value.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("'" + value + "' is not one of required, preferred, off", e);
        }
    }
}
