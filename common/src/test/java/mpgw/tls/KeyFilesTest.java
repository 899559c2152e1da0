package mpgw.tls;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPairGenerator;
import java.util.List;
import mpgw.config.ConfigError;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KeyFilesTest {
    @TempDir
    Path dir;

    private KeyMaterial written() throws Exception {
        KeyMaterial keys = KeyGeneration.generate("router-b");
        KeyFiles.write(dir, keys);
        return keys;
    }

    private Path key() {
        return dir.resolve(KeyFiles.KEY_FILE);
    }

    private Path cert() {
        return dir.resolve(KeyFiles.CERT_FILE);
    }

    private void assertLoadFails(Path certFile, Path keyFile, String... fragments) {
        ConfigError e = assertThrows(ConfigError.class, () -> KeyFiles.load(certFile, keyFile));
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), () -> "'" + f + "' not in: " + e.getMessage());
        }
    }

    @Test
    void writtenFilesLoadBackWithOwnerOnlyKey() throws Exception {
        KeyMaterial keys = written();
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(key())));
        KeyMaterial loaded = KeyFiles.load(cert(), key());
        assertEquals(keys.fingerprint(), loaded.fingerprint());
        assertArrayEquals(keys.privateKey().getEncoded(), loaded.privateKey().getEncoded());
        assertEquals(List.of(), loaded.warnings());
        assertTrue(Files.readString(key()).startsWith("-----BEGIN PRIVATE KEY-----\n"));
        try (var files = Files.list(dir)) {
            assertEquals(2, files.count(), "no temporary file left behind");
        }
    }

    @Test
    void writingRefusesToReplaceEitherFileAndWritesNeither() throws Exception {
        Files.writeString(cert(), "someone else's certificate");
        assertThrows(FileAlreadyExistsException.class, () -> KeyFiles.write(dir, KeyGeneration.generate("x")));
        assertFalse(Files.exists(key()), "key.pem must not be written when cert.pem exists");
        assertEquals("someone else's certificate", Files.readString(cert()));
    }

    @Test
    void theLastStepRefusesAFileThatAppearedAfterTheCheck() throws Exception {
        Files.writeString(key(), "raced");
        assertThrows(FileAlreadyExistsException.class, () -> KeyFiles.writeNew(key(), new byte[] {1},
                PosixFilePermissions.fromString("rw-------")));
        assertEquals("raced", Files.readString(key()));
        try (var files = Files.list(dir)) {
            assertEquals(1, files.count(), "no temporary file left behind");
        }
    }

    @Test
    void aKeyOpenToOthersLoadsWithAWarning() throws Exception {
        written();
        Files.setPosixFilePermissions(key(), PosixFilePermissions.fromString("rw-r--r--"));
        List<String> warnings = KeyFiles.load(cert(), key()).warnings();
        assertEquals(1, warnings.size());
        assertTrue(warnings.get(0).contains("chmod 600 " + key()), warnings.get(0));
    }

    @Test
    void aMissingFileIsNamed() throws Exception {
        written();
        assertLoadFails(dir.resolve("nope.pem"), key(), "nope.pem", "no such file");
        assertLoadFails(cert(), dir.resolve("nokey.pem"), "nokey.pem", "no such file");
    }

    @Test
    void aFileThatIsNotPemIsNamed() throws Exception {
        written();
        Files.write(dir.resolve("der"), KeyGeneration.generate("x").certificate().getEncoded());
        assertLoadFails(dir.resolve("der"), key(), "der", "not a PEM file");
        assertLoadFails(cert(), dir.resolve("der"), "der", "not a PEM file");
    }

    @Test
    void swappedFilesAreNamed() throws Exception {
        written();
        assertLoadFails(key(), cert(), "key.pem", "'PRIVATE KEY' block, not a CERTIFICATE");
    }

    @Test
    void anRsaKeyIsTheWrongType() throws Exception {
        written();
        KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
        rsa.initialize(2048);
        Path rsaKey = dir.resolve("rsa.pem");
        Files.write(rsaKey, Pem.write("PRIVATE KEY", rsa.generateKeyPair().getPrivate().getEncoded()));
        assertLoadFails(cert(), rsaKey, "rsa.pem", "an RSA key; mpgw uses EC P-256");
    }

    @Test
    void anEncryptedOrSec1KeySaysHowToConvert() throws Exception {
        written();
        Path sec1 = dir.resolve("sec1.pem");
        Files.write(sec1, Pem.write("EC PRIVATE KEY", new byte[] {0x30, 0x00}));
        assertLoadFails(cert(), sec1, "sec1.pem", "openssl pkcs8 -topk8");
        Path encrypted = dir.resolve("enc.pem");
        Files.write(encrypted, Pem.write("ENCRYPTED PRIVATE KEY", new byte[] {0x30, 0x00}));
        assertLoadFails(cert(), encrypted, "enc.pem", "encrypted");
    }

    @Test
    void aKeyOfAnotherCertificateIsRefused() throws Exception {
        written();
        Path other = dir.resolve("other");
        KeyFiles.write(other, KeyGeneration.generate("other"));
        assertLoadFails(cert(), other.resolve(KeyFiles.KEY_FILE), "other/key.pem", "does not belong to the certificate");
    }

    @Test
    void aBrokenCertificateIsNamed() throws Exception {
        written();
        Path broken = dir.resolve("broken.pem");
        Files.write(broken, Pem.write("CERTIFICATE", new byte[] {0x30, 0x03, 0x02, 0x01, 0x01}));
        assertLoadFails(broken, key(), "broken.pem", "not a valid X.509 certificate");
    }
}
