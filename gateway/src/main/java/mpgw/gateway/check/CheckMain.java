package mpgw.gateway.check;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import mpgw.config.ConfigError;
import mpgw.daemon.Cli;
import mpgw.gateway.config.GatewaySettings;
import mpgw.gateway.links.LinkInspection;
import mpgw.gateway.links.LinkSettings;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code mpgw check --config FILE [--subflows N]}: diagnoses router A for the gateway and prints one line per
 * check, {@code OK} or {@code FAIL ...; fix: ...}: the config loads; the kernel release has the MPTCP features mpgw
 * uses (and which it lacks); MPTCP is on in the kernel; the path manager
 * has limits and endpoints; the interception rules are installed, aimed at the listen port and skip the upstream
 * mark; and each socks-server address answers (TLS with its pinned certificate when upstream.tls is on) SOCKS5
 * over MPTCP with N subflows (default: one per configured server address, at least 2), and what it supports:
 * pipelining, fast open, FWD UDP and UDP ASSOCIATE, with the keys that fit it ({@link ServerProbe}). Changes
 * nothing.
 *
 * <p>Exit status: 0 when every check passed, 1 when one failed, 2 for a usage error ({@link Cli}).
 */
public final class CheckMain {
    private CheckMain() {
    }

    /** The options of {@code mpgw check}. */
    @Command(sortOptions = false, description = "Diagnoses this host (router A) for the"
            + " gateway, one line per check; exit status 1 when a check fails. Changes nothing.")
    static final class Options {
        @Option(names = "--config", paramLabel = "FILE", required = true, description = "the gateway's config file")
        Path config;

        @Option(names = "--subflows", paramLabel = "N",
                description = "subflows each socks-server connection must reach (default: one per server address,"
                        + " at least 2)")
        int subflows;

        @Option(names = {"-h", "--help"}, usageHelp = true, description = "print this help and exit")
        boolean help;
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        Options options = new Options();
        OptionalInt exit = Cli.parse("check", options, args, out, err);
        if (exit.isPresent()) {
            return exit.getAsInt();
        }
        if (options.subflows < 0) {
            err.println("check: --subflows must be 1 or more, got " + options.subflows
                    + " (see 'mpgw check --help')");
            return Cli.EXIT_USAGE;
        }
        Path config = options.config;
        int subflows = options.subflows;
        List<Check> checks = new ArrayList<>();
        GatewaySettings settings;
        try {
            settings = GatewaySettings.load(config);
            checks.add(report(Check.ok("config", config + " (" + settings.servers().size() + " socks-server addresses)"), out));
        } catch (ConfigError e) {
            checks.add(Check.fail("config", e.getMessage(), "correct the key named above"));
            return report(checks, out);
        }
        // Netty's native epoll library must be loaded before any socket is made outside an event loop.
        io.netty.channel.epoll.Epoll.ensureAvailability();
        int wanted = subflows > 0 ? subflows : Math.max(2, settings.servers().size());
        checks.add(report(KernelChecks.kernel(settings), out));
        checks.add(report(HostChecks.mptcpEnabled(), out));
        checks.add(report(HostChecks.pathManager(wanted), out));
        checks.add(report(HostChecks.rules(settings), out));
        checks.add(report(KernelChecks.fastOpen(settings), out));
        for (LinkSettings link : settings.links().links()) {
            LinkInspection l = LinkInspection.of(link);
            checks.add(report(l.ok() ? Check.ok("link", l.detail()) : Check.fail("link", l.detail(), l.fix()), out));
        }
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        try {
            ServerProbe probe = new ServerProbe(settings, group);
            for (InetSocketAddress server : settings.servers()) {
                for (Check c : probe.probe(server, wanted)) {
                    checks.add(report(c, out));
                }
            }
        } catch (javax.net.ssl.SSLException e) {
            checks.add(report(Check.fail("tls", "cannot build the TLS context: " + e.getMessage(),
                    "check gateway.upstream.tls's certificate and key files ('mpgw keys' writes them)"), out));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(3, TimeUnit.SECONDS);
        }
        long failed = checks.stream().filter(c -> !c.ok()).count();
        out.println(checks.size() + " checks, " + failed + " failed");
        return failed == 0 ? 0 : 1;
    }

    private static Check report(Check c, PrintStream out) {
        out.println(c.line());
        out.flush();
        return c;
    }

    private static int report(List<Check> checks, PrintStream out) {
        checks.forEach(c -> report(c, out));
        return 1;
    }
}
