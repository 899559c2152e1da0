package mpgw.status;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;

/**
 * HTTP basic authentication (RFC 7617) against one password, any user name. The comparison takes the same time
 * whatever the guess, so response times reveal nothing of the password. Stateless.
 */
public final class BasicAuth {
    private final byte[] password;

    public BasicAuth(String password) {
        this.password = password.getBytes(StandardCharsets.UTF_8);
    }

    /** Whether an {@code Authorization} header value (null when absent) carries the password. */
    public boolean accepts(String header) {
        if (header == null || !header.regionMatches(true, 0, "Basic ", 0, 6)) {
            return false;
        }
        byte[] decoded;
        try {
            decoded = Base64.getDecoder().decode(header.substring(6).trim());
        } catch (IllegalArgumentException e) {
            return false;
        }
        int colon = -1;
        for (int i = 0; i < decoded.length; i++) {
            if (decoded[i] == ':') {
                colon = i;
                break;
            }
        }
        if (colon < 0) {
            return false;
        }
        byte[] given = java.util.Arrays.copyOfRange(decoded, colon + 1, decoded.length);
        return MessageDigest.isEqual(password, given);
    }
}
