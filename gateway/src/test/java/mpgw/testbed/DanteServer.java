package mpgw.testbed;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import mpgw.testing.Sh;

/**
 * Dante (Debian's dante-server), a third-party SOCKS5 server, running in a namespace as an MPTCP server
 * ({@code mptcpize run}), for tests that check the gateway against a server that is not ours.
 *
 * <p>Username/password auth: Dante checks RFC 1929 credentials against the system's password database, so the
 * daemon runs in a private mount namespace where {@code /etc/passwd} and {@code /etc/shadow} are bind-mounted
 * copies holding one extra user; the host's files are never touched.
 */
public final class DanteServer implements AutoCloseable {
    private final Daemon daemon;

    private DanteServer(Daemon daemon) {
        this.daemon = daemon;
    }

    /**
     * Starts Dante in {@code ns} on {@code 0.0.0.0:port} (every link address), relaying out of {@code external}.
     *
     * @param user null for no authentication, else the only user/password accepted
     */
    public static DanteServer start(String ns, int port, String external, Credentials user, Path workDir)
            throws IOException, InterruptedException {
        if (Sh.run(List.of("bash", "-c", "command -v danted")).exitCode() != 0) {
            throw new IllegalStateException("danted not found: apt-get install dante-server (bin/deps.txt lists it)");
        }
        Files.createDirectories(workDir);
        Path conf = workDir.resolve("danted-" + port + ".conf");
        String method = user == null ? "none" : "username";
        Files.writeString(conf, String.join("\n",
                "logoutput: stderr",
                "internal: 0.0.0.0 port = " + port,
                "external: " + external,
                "socksmethod: " + method,
                "clientmethod: none",
                "user.privileged: root",
                "user.unprivileged: nobody",
                "client pass { from: 0/0 to: 0/0 }",
                "socks pass { from: 0/0 to: 0/0 log: error }",
                ""));
        String run = "exec mptcpize run danted -f " + conf;
        if (user != null) {
            Path passwd = workDir.resolve("passwd");
            Path shadow = workDir.resolve("shadow");
            Files.writeString(passwd, Files.readString(Path.of("/etc/passwd"))
                    + user.name() + ":x:64123:65534::/nonexistent:/usr/sbin/nologin\n");
            String hash = Sh.check("openssl passwd -6 '" + user.password().replace("'", "") + "'").trim();
            Files.writeString(shadow, Files.readString(Path.of("/etc/shadow"))
                    + user.name() + ":" + hash + ":19000:0:99999:7:::\n");
            run = "mount --bind " + passwd + " /etc/passwd && mount --bind " + shadow + " /etc/shadow && " + run;
        }
        Daemon d = Daemon.startIn(ns, "dante:" + port,
                List.of("unshare", "--mount", "--propagation", "private", "bash", "-c", run));
        d.awaitLine("running", Duration.ofSeconds(15));
        return new DanteServer(d);
    }

    public Daemon daemon() {
        return daemon;
    }

    @Override
    public void close() {
        daemon.close();
    }

    /** An RFC 1929 username and password. */
    public record Credentials(String name, String password) {
    }
}
