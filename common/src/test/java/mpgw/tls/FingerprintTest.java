package mpgw.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import mpgw.config.ConfigError;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class FingerprintTest {
    private static final String HEX = "e02146e201ddcd5727ee7ba415d14f15516fbaafc09514c7721a982dcfe91007";

    @Test
    void printsAndParsesTheSameText() {
        assertEquals("sha256:" + HEX, Fingerprint.parse("sha256:" + HEX).toString());
    }

    @Test
    void parsingIgnoresCaseSurroundingSpaceAndOpensslColons() {
        Fingerprint f = Fingerprint.parse("sha256:" + HEX);
        assertEquals(f, Fingerprint.parse("  SHA256:" + HEX.toUpperCase() + " "));
        StringBuilder colons = new StringBuilder();
        for (int i = 0; i < HEX.length(); i += 2) {
            colons.append(i == 0 ? "" : ":").append(HEX, i, i + 2);
        }
        assertEquals(f, Fingerprint.parse("sha256:" + colons.toString().toUpperCase()));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "sha1:e02146e201ddcd5727ee7ba415d14f15516fbaaf | does not start with 'sha256:'",
        "e02146e201ddcd5727ee7ba415d14f15516fbaafc09514c7721a982dcfe91007 | does not start with 'sha256:'",
        "sha256:e02146e201ddcd5727ee7ba415d14f15516fbaafc09514c7721a982dcfe910 | has 62 hex digits",
        "sha256:e02146e201ddcd5727ee7ba415d14f15516fbaafc09514c7721a982dcfe9100700 | has 66 hex digits",
        "sha256: | has 0 hex digits",
        "sha256:g02146e201ddcd5727ee7ba415d14f15516fbaafc09514c7721a982dcfe91007 | non-hex character 'g' at digit 1",
        "sha256:e02146e201ddcd5727ee7ba415d14f15516fbaafc09514c7721a982dcfe9100\u0663 | non-hex character '\\u0663' at digit 64",
    })
    void malformedFingerprintsSayWhatIsWrong(String text, String message) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Fingerprint.parse(text));
        assertTrue(e.getMessage().contains(message), e.getMessage());
    }

    @Test
    void theFingerprintOfACertificateIsTheSha256OfItsDer() throws Exception {
        KeyMaterial keys = KeyGeneration.generate("t");
        byte[] digest = java.security.MessageDigest.getInstance("SHA-256").digest(keys.certificate().getEncoded());
        assertEquals("sha256:" + java.util.HexFormat.of().formatHex(digest), keys.fingerprint().toString());
    }

    /** Fingerprint.of keeps the last certificate's fingerprint: alternating certificates still get their own. */
    @Test
    void alternatingCertificatesEachGetTheirOwnFingerprint() throws Exception {
        KeyMaterial a = KeyGeneration.generate("a");
        KeyMaterial b = KeyGeneration.generate("b");
        for (KeyMaterial k : List.of(a, a, b, a, b, b, a)) {
            byte[] digest = java.security.MessageDigest.getInstance("SHA-256").digest(k.certificate().getEncoded());
            Fingerprint f = Fingerprint.of(k.certificate());
            assertEquals("sha256:" + java.util.HexFormat.of().formatHex(digest), f.toString(), k.certificate()
                    .getSubjectX500Principal().getName());
            assertEquals(Fingerprint.ofDer(k.certificate().getEncoded()), f);
        }
    }

    @Test
    void pinnedPeersParseAListAndNameTheBadEntry() {
        PinnedPeers peers = PinnedPeers.parse("server.tls.peers", List.of("sha256:" + HEX, "sha256:" + HEX.replace('e', 'a')));
        assertEquals(2, peers.fingerprints().size());
        assertTrue(peers.contains(Fingerprint.parse("SHA256:" + HEX.toUpperCase())));
        assertFalse(peers.contains(KeyGeneration.generate("x").fingerprint()));
        ConfigError e = assertThrows(ConfigError.class,
                () -> PinnedPeers.parse("server.tls.peers in b.conf", List.of("sha256:" + HEX, "sha256:abc")));
        assertTrue(e.getMessage().startsWith("server.tls.peers in b.conf[1]: "), e.getMessage());
        ConfigError empty = assertThrows(ConfigError.class, () -> PinnedPeers.parse("server.tls.peers", List.of()));
        assertTrue(empty.getMessage().contains("no peers listed"), empty.getMessage());
    }
}
