package mpgw.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class KeysCommandTest {
    @TempDir
    Path tmp;

    private record Run(int status, String out, String err) {
    }

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int status = new CommandLine(new KeysCommand()).setOut(new PrintWriter(out)).setErr(new PrintWriter(err))
                .execute(args);
        return new Run(status, out.toString(), err.toString());
    }

    @Test
    void writesKeyAndCertificateAndPrintsTheCertificatesFingerprint() throws Exception {
        Path dir = tmp.resolve("keys");
        Run r = run("--out", dir.toString(), "--name", "router-b");
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().matches("sha256:[0-9a-f]{64}\n"), r.out());
        Path key = dir.resolve("key.pem");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(key)));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)));
        KeyMaterial loaded = KeyFiles.load(dir.resolve("cert.pem"), key);
        assertEquals(r.out().strip(), loaded.fingerprint().toString());
        assertEquals("CN=router-b", loaded.certificate().getSubjectX500Principal().getName());
    }

    @Test
    void refusesToOverwriteAndLeavesTheFilesAlone() throws Exception {
        Path dir = tmp.resolve("keys");
        assertEquals(0, run("--out", dir.toString()).status());
        String key = Files.readString(dir.resolve("key.pem"));
        String cert = Files.readString(dir.resolve("cert.pem"));
        Run again = run("--out", dir.toString());
        assertEquals(1, again.status());
        assertEquals("", again.out());
        assertTrue(again.err().contains("already exists; refusing to overwrite"), again.err());
        assertEquals(key, Files.readString(dir.resolve("key.pem")));
        assertEquals(cert, Files.readString(dir.resolve("cert.pem")));
    }

    @Test
    void usageErrorsExitWithTwo() {
        Run r = run();
        assertEquals(2, r.status());
        assertTrue(r.err().contains("--out"), r.err());
        assertEquals(2, run("--out", tmp.toString(), "--name", "").status());
        assertEquals(0, run("--help").status());
    }
}
