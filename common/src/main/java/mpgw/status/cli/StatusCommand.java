package mpgw.status.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.OptionalInt;
import mpgw.daemon.Cli;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code mpgw status}: a daemon's status page in a terminal, read from its {@code /status.json} (the same document
 * the page reads). One screen, refreshed every second until interrupted; {@code --once} prints it once (for
 * scripts), {@code --json} prints the document itself.
 *
 * <p>Exit status: 0; 1 when the daemon does not answer (nothing listens, a timeout, an HTTP error such as a missing
 * password); 2 for a usage error. Text from the daemon is printed with control characters replaced, so nothing a
 * peer got into a log line can drive the terminal.
 */
public final class StatusCommand {
    public static final int EXIT_NO_ANSWER = 1;
    static final String DEFAULT_URL = "http://127.0.0.1:9464/";
    private static final Duration TIMEOUT = Duration.ofSeconds(2);
    private static final String CLEAR = "\033[H\033[2J";

    @Command(sortOptions = false)
    static final class Options {
        @Option(names = "--url", paramLabel = "URL",
                description = "the daemon's metrics listener (default: from --config, else " + DEFAULT_URL + ")")
        String url;

        @Option(names = "--config", paramLabel = "FILE",
                description = "a gateway or server config file: its metrics.listen and metrics.password are used")
        Path config;

        @Option(names = "--once", description = "print the status once and exit")
        boolean once;

        @Option(names = "--json", description = "print status.json itself (once)")
        boolean json;

        @Option(names = {"-h", "--help"}, usageHelp = true, description = "print this help and exit")
        boolean help;
    }

    private StatusCommand() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        Options o = new Options();
        OptionalInt exit = Cli.parse("status", "a running daemon's links, flows and last warnings, from its status"
                + " page (password: MPGW_STATUS_PASSWORD or the config's metrics.password)", o, args, out, err);
        if (exit.isPresent()) {
            return exit.getAsInt();
        }
        Target target;
        try {
            target = target(o, System.getenv("MPGW_STATUS_PASSWORD"));
        } catch (IllegalArgumentException e) {
            err.println("status: " + e.getMessage());
            return Cli.EXIT_USAGE;
        }
        HttpClient http = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();
        ObjectMapper json = new ObjectMapper();
        while (true) {
            String body;
            try {
                body = fetch(http, target);
            } catch (IOException e) {
                err.println("status: no answer from " + target.statusUrl() + ": " + reason(e));
                return EXIT_NO_ANSWER;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return 0;
            }
            if (o.json) {
                out.println(body);
                return 0;
            }
            JsonNode status;
            try {
                status = json.readTree(body);
            } catch (IOException e) {
                err.println("status: " + target.statusUrl() + " is not a status document: " + e.getMessage());
                return EXIT_NO_ANSWER;
            }
            String screen = StatusScreen.render(status, target.base());
            if (o.once) {
                out.print(screen);
                out.flush();
                return 0;
            }
            out.print(CLEAR + screen);
            out.flush();
            try {
                Thread.sleep(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return 0;
            }
        }
    }

    /** Where to ask, and the password if any. */
    record Target(String base, String password) {
        String statusUrl() {
            return base + "status.json";
        }
    }

    static Target target(Options o, String envPassword) {
        String base = o.url;
        String password = envPassword == null || envPassword.isEmpty() ? null : envPassword;
        if (o.config != null) {
            if (!Files.isReadable(o.config)) {
                throw new IllegalArgumentException("cannot read " + o.config);
            }
            Config c;
            try {
                c = ConfigFactory.parseFile(o.config.toFile()).resolve();
            } catch (ConfigException e) {
                throw new IllegalArgumentException(o.config + ": " + e.getMessage());
            }
            for (String root : new String[] {"gateway", "server"}) {
                if (!c.hasPath(root)) {
                    continue;
                }
                if (base == null && c.hasPath(root + ".metrics.listen")) {
                    String listen = c.getString(root + ".metrics.listen");
                    if (listen.isEmpty()) {
                        throw new IllegalArgumentException(o.config + ": " + root
                                + ".metrics.listen is off: the daemon serves no status page");
                    }
                    base = "http://" + listen + "/";
                }
                if (password == null && c.hasPath(root + ".metrics.password")) {
                    String p = c.getString(root + ".metrics.password");
                    password = p.isEmpty() ? null : p;
                }
            }
        }
        if (base == null) {
            base = DEFAULT_URL;
        }
        if (!base.endsWith("/")) {
            base = base + "/";
        }
        try {
            URI u = URI.create(base);
            if (!"http".equals(u.getScheme()) || u.getHost() == null) {
                throw new IllegalArgumentException("--url must be http://HOST:PORT/, got " + base);
            }
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--url must be http://HOST:PORT/, got " + base);
        }
        return new Target(base, password);
    }

    /** Why a request failed, in words: the JDK's connect failures carry no message of their own. */
    private static String reason(IOException e) {
        if (e instanceof java.net.ConnectException) {
            return "connection refused (is the daemon running, and its metrics.listen this address?)";
        }
        if (e instanceof java.net.http.HttpTimeoutException) {
            return "timed out after " + TIMEOUT.toSeconds() + " s";
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    private static String fetch(HttpClient http, Target target) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(target.statusUrl())).timeout(TIMEOUT);
        if (target.password() != null) {
            b.header("Authorization", "Basic " + Base64.getEncoder().encodeToString(
                    ("mpgw:" + target.password()).getBytes(StandardCharsets.UTF_8)));
        }
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 401) {
            throw new IOException("HTTP 401: a password is needed (MPGW_STATUS_PASSWORD or --config)");
        }
        if (r.statusCode() != 200) {
            throw new IOException("HTTP " + r.statusCode());
        }
        return r.body();
    }
}
