package mpgw.tls;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code mpgw keys --out DIR [--name NAME]}: makes a router's key pair and self-signed certificate
 * ({@link KeyGeneration}), writes {@code DIR/key.pem} (0600) and {@code DIR/cert.pem} ({@link KeyFiles#write}),
 * refusing to overwrite either, and prints one line, {@code sha256:<64 hex>}, the fingerprint to list in the other
 * router's {@code tls.peers}. Exit status 0 on success, 1 when a file exists or cannot be written, 2 for a usage
 * error.
 */
@Command(name = "mpgw keys", sortOptions = false, usageHelpAutoWidth = true,
        description = "Write this router's TLS key (DIR/key.pem, mode 0600) and self-signed certificate "
                + "(DIR/cert.pem), and print the certificate's fingerprint for the other router's tls.peers list.")
public final class KeysCommand implements Callable<Integer> {
    static final int EXIT_FAILED = 1;

    @Option(names = "--out", required = true, paramLabel = "DIR",
            description = "directory for key.pem and cert.pem (created, mode 0700, if missing)")
    Path out;

    @Option(names = "--name", paramLabel = "NAME",
            description = "certificate subject CN (default: this host's name); only for people reading the cert")
    String name;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "show this help")
    boolean help;

    @Spec
    CommandSpec spec;

    public static void main(String[] args) {
        System.exit(new CommandLine(new KeysCommand()).execute(args));
    }

    @Override
    public Integer call() {
        String cn = name != null ? name : hostName();
        if (cn.isBlank() || cn.length() > 64 || !cn.chars().allMatch(c -> c >= 0x20 && c < 0x7f)) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--name must be 1 to 64 printable ASCII characters");
        }
        KeyMaterial keys = KeyGeneration.generate(cn);
        try {
            KeyFiles.write(out, keys);
        } catch (FileAlreadyExistsException e) {
            spec.commandLine().getErr().println("mpgw keys: " + e.getFile() + " already exists; refusing to "
                    + "overwrite (move it away to make a new key)");
            return EXIT_FAILED;
        } catch (IOException e) {
            spec.commandLine().getErr().println("mpgw keys: cannot write to " + out + ": " + e);
            return EXIT_FAILED;
        }
        spec.commandLine().getOut().println(keys.fingerprint());
        spec.commandLine().getOut().flush();
        return 0;
    }

    /** The kernel's host name, without a DNS lookup (a router may have no working resolver yet). */
    private static String hostName() {
        try {
            String name = Files.readString(Path.of("/proc/sys/kernel/hostname")).strip();
            return name.isEmpty() ? "mpgw" : name;
        } catch (IOException e) {
            return "mpgw";
        }
    }
}
