package mpgw.tls;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * PEM text (RFC 7468): {@code -----BEGIN TYPE-----}, base64, {@code -----END TYPE-----}. Reads every block of a
 * file and writes one block with 64-character lines. Stateless.
 */
final class Pem {
    /** One decoded block: its label ({@code CERTIFICATE}, {@code PRIVATE KEY}, ...) and its DER bytes. */
    record Block(String type, byte[] der) {
    }

    private static final Pattern BLOCK = Pattern.compile(
            "-----BEGIN ([A-Z0-9 ]+)-----\\s*([A-Za-z0-9+/=\\s]*?)\\s*-----END \\1-----");

    private Pem() {
    }

    /**
     * The blocks in {@code text}, in order; empty when it holds none.
     *
     * @throws IllegalArgumentException when a block's body is not base64
     */
    static List<Block> read(String text) {
        List<Block> blocks = new ArrayList<>();
        Matcher m = BLOCK.matcher(text);
        while (m.find()) {
            try {
                blocks.add(new Block(m.group(1), Base64.getMimeDecoder().decode(m.group(2))));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("the " + m.group(1) + " block is not valid base64");
            }
        }
        return blocks;
    }

    static byte[] write(String type, byte[] der) {
        String body = Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der);
        return ("-----BEGIN " + type + "-----\n" + body + "\n-----END " + type + "-----\n")
                .getBytes(StandardCharsets.US_ASCII);
    }
}
