package mpgw.tls;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import mpgw.config.ConfigError;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.edec.EdECObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.sec.SECObjectIdentifiers;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;

/**
 * A router's key and certificate on disk: {@code key.pem} (PKCS#8 {@code PRIVATE KEY}, unencrypted, mode 0600) and
 * {@code cert.pem} (one X.509 {@code CERTIFICATE}). Loading fails with a {@link ConfigError} that names the file and
 * says what is wrong; writing never replaces an existing file and never lets the key be readable by others, not
 * even for a moment. Stateless.
 */
public final class KeyFiles {
    public static final String KEY_FILE = "key.pem";
    public static final String CERT_FILE = "cert.pem";

    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");
    private static final Set<PosixFilePermission> PUBLIC = PosixFilePermissions.fromString("rw-r--r--");
    private static final Set<PosixFilePermission> OTHERS = EnumSet.of(PosixFilePermission.GROUP_READ,
            PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.OTHERS_READ,
            PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);

    private KeyFiles() {
    }

    /**
     * Loads and checks a certificate and its key.
     *
     * @return the key material; its {@link KeyMaterial#warnings()} says when the key file is open to group or others
     * @throws ConfigError naming the file: missing or unreadable, not PEM, not a certificate, not an unencrypted
     *                     PKCS#8 key, a key type other than EC P-256/P-384, or a key that is not the certificate's
     */
    public static KeyMaterial load(Path certificateFile, Path keyFile) {
        X509Certificate certificate = readCertificate(certificateFile);
        List<String> warnings = new ArrayList<>();
        PrivateKey key = readKey(keyFile, warnings);
        try {
            return KeyMaterial.of(key, certificate, warnings);
        } catch (IllegalArgumentException e) {
            throw new ConfigError(keyFile + ": this key does not belong to the certificate in " + certificateFile
                    + " (" + Fingerprint.of(certificate) + "); use the key.pem written with that cert.pem");
        }
    }

    static X509Certificate readCertificate(Path file) {
        Pem.Block block = onlyBlock(file, "CERTIFICATE");
        if (!block.type().equals("CERTIFICATE")) {
            throw new ConfigError(file + ": holds a PEM '" + block.type() + "' block, not a CERTIFICATE");
        }
        try {
            return (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(block.der()));
        } catch (CertificateException e) {
            throw new ConfigError(file + ": not a valid X.509 certificate (" + LogText.escape(e.getMessage(), 120)
                    + ")");
        }
    }

    static PrivateKey readKey(Path file, List<String> warnings) {
        Pem.Block block = onlyBlock(file, "PRIVATE KEY");
        switch (block.type()) {
            case "PRIVATE KEY" -> { }
            case "EC PRIVATE KEY" -> throw new ConfigError(file + ": an 'EC PRIVATE KEY' (SEC1) block; mpgw reads "
                    + "PKCS#8: convert it with 'openssl pkcs8 -topk8 -nocrypt -in " + file + "'");
            case "ENCRYPTED PRIVATE KEY" -> throw new ConfigError(file + ": the key is encrypted; mpgw needs an "
                    + "unencrypted PKCS#8 key protected by file mode 0600");
            case "RSA PRIVATE KEY" -> throw new ConfigError(file + ": an RSA key; mpgw uses EC P-256 keys "
                    + "(make a pair with 'mpgw keys --out DIR')");
            default -> throw new ConfigError(file + ": holds a PEM '" + block.type() + "' block, not a PRIVATE KEY");
        }
        String type;
        try {
            PrivateKeyInfo info = PrivateKeyInfo.getInstance(block.der());
            ASN1ObjectIdentifier algorithm = info.getPrivateKeyAlgorithm().getAlgorithm();
            if (X9ObjectIdentifiers.id_ecPublicKey.equals(algorithm)) {
                Object curve = info.getPrivateKeyAlgorithm().getParameters();
                if (!SECObjectIdentifiers.secp256r1.equals(curve) && !SECObjectIdentifiers.secp384r1.equals(curve)) {
                    throw new ConfigError(file + ": an EC key on curve " + curve + "; mpgw uses P-256 (or P-384)");
                }
                type = "EC";
            } else if (PKCSObjectIdentifiers.rsaEncryption.equals(algorithm)) {
                throw new ConfigError(file + ": an RSA key; mpgw uses EC P-256 keys (make a pair with "
                        + "'mpgw keys --out DIR')");
            } else if (EdECObjectIdentifiers.id_Ed25519.equals(algorithm)) {
                throw new ConfigError(file + ": an Ed25519 key; mpgw uses EC P-256 keys (make a pair with "
                        + "'mpgw keys --out DIR')");
            } else {
                throw new ConfigError(file + ": a key of algorithm " + algorithm + "; mpgw uses EC P-256 keys");
            }
        } catch (IllegalArgumentException | IllegalStateException | ClassCastException e) {
            throw new ConfigError(file + ": the PRIVATE KEY block is not a PKCS#8 structure");
        }
        checkMode(file, warnings);
        try {
            return KeyFactory.getInstance(type).generatePrivate(new PKCS8EncodedKeySpec(block.der()));
        } catch (GeneralSecurityException e) {
            throw new ConfigError(file + ": the " + type + " key cannot be decoded (" + LogText.escape(e.getMessage(),
                    120) + ")");
        }
    }

    private static void checkMode(Path file, List<String> warnings) {
        try {
            Set<PosixFilePermission> mode = Files.getPosixFilePermissions(file);
            if (mode.stream().anyMatch(OTHERS::contains)) {
                warnings.add(file + " is open to group or others (mode " + PosixFilePermissions.toString(mode)
                        + "); run 'chmod 600 " + file + "'");
            }
        } catch (IOException | UnsupportedOperationException e) {
            warnings.add(file + ": cannot read its mode (" + e.getMessage() + ")");
        }
    }

    private static Pem.Block onlyBlock(Path file, String expected) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.ISO_8859_1);
        } catch (NoSuchFileException e) {
            throw new ConfigError(file + ": no such file");
        } catch (IOException e) {
            throw new ConfigError(file + ": cannot read (" + e.getMessage() + ")");
        }
        List<Pem.Block> blocks;
        try {
            blocks = Pem.read(text);
        } catch (IllegalArgumentException e) {
            throw new ConfigError(file + ": " + e.getMessage());
        }
        if (blocks.isEmpty()) {
            throw new ConfigError(file + ": not a PEM file (no '-----BEGIN " + expected + "-----' line)");
        }
        return blocks.get(0);
    }

    /**
     * Writes {@code dir/key.pem} (mode 0600) and {@code dir/cert.pem} (0644), creating {@code dir} (0700) if
     * needed. Each file is written under a temporary name created with its final mode, flushed to disk, then hard
     * linked to its name, which fails instead of replacing an existing file: a reader never sees a partial file and
     * the key is never readable by others.
     *
     * @throws FileAlreadyExistsException when either file exists (then neither is written)
     */
    public static void write(Path dir, KeyMaterial keys) throws IOException {
        Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Path key = dir.resolve(KEY_FILE);
        Path cert = dir.resolve(CERT_FILE);
        for (Path p : List.of(key, cert)) {
            if (Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
                throw new FileAlreadyExistsException(p.toString(), null, "refusing to overwrite");
            }
        }
        writeNew(key, Pem.write("PRIVATE KEY", keys.privateKey().getEncoded()), OWNER_ONLY);
        boolean written = false;
        try {
            writeNew(cert, Pem.write("CERTIFICATE", keys.certificate().getEncoded()), PUBLIC);
            written = true;
        } catch (CertificateEncodingException e) {
            throw new IOException("cannot encode the certificate: " + e.getMessage(), e);
        } finally {
            if (!written) {
                Files.deleteIfExists(key);
            }
        }
    }

    /** Writes a new file with {@code mode}; the final hard link refuses an existing file, even one made meanwhile. */
    static void writeNew(Path target, byte[] content, Set<PosixFilePermission> mode) throws IOException {
        Path temp = Files.createTempFile(target.getParent(), "." + target.getFileName() + ".", ".tmp",
                PosixFilePermissions.asFileAttribute(mode));
        try {
            try (FileChannel out = FileChannel.open(temp, StandardOpenOption.WRITE)) {
                ByteBuffer buf = ByteBuffer.wrap(content);
                while (buf.hasRemaining()) {
                    out.write(buf);
                }
                out.force(true);
            }
            Files.createLink(target, temp);
        } catch (FileAlreadyExistsException e) {
            throw new FileAlreadyExistsException(target.toString(), null, "refusing to overwrite");
        } finally {
            Files.deleteIfExists(temp);
        }
    }
}
