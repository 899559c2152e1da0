package mpgw.gateway.check;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import mpgw.config.ConfigError;
import mpgw.gateway.config.GatewaySettings;

/**
 * {@code mpgw check --config FILE [--subflows N]}: diagnoses router A for the gateway and prints one line per
 * check, {@code OK} or {@code FAIL ...; fix: ...}: the config loads; the kernel release has the MPTCP features mpgw
 * uses (and which it lacks); MPTCP is on in the kernel; the path manager
 * has limits and endpoints; the interception rules are installed, aimed at the listen port and skip the upstream
 * mark; and each socks-server address answers SOCKS5 over MPTCP with N subflows (default: one per configured
 * server address, at least 2). Changes nothing.
 *
 * <p>Exit status: 0 when every check passed, 1 when one failed, 2 for a usage error.
 */
public final class CheckMain {
    private static final String USAGE = "usage: mpgw check --config FILE [--subflows N]";

    private CheckMain() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        Path config = null;
        int subflows = 0;
        try {
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "-h", "--help" -> {
                        out.println(USAGE);
                        return 0;
                    }
                    case "--config" -> config = Path.of(args[++i]);
                    case "--subflows" -> subflows = Integer.parseInt(args[++i]);
                    default -> throw new IllegalArgumentException("unknown option '" + args[i] + "'");
                }
            }
        } catch (ArrayIndexOutOfBoundsException | IllegalArgumentException e) {
            err.println("check: " + (e instanceof IllegalArgumentException ? e.getMessage() : "option needs a value"));
            err.println(USAGE);
            return 2;
        }
        if (config == null) {
            err.println("check: --config FILE is required");
            err.println(USAGE);
            return 2;
        }
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
        checks.add(report(HostChecks.kernel(settings), out));
        checks.add(report(HostChecks.mptcpEnabled(), out));
        checks.add(report(HostChecks.pathManager(wanted), out));
        checks.add(report(HostChecks.rules(settings), out));
        checks.add(report(HostChecks.fastOpen(settings), out));
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        try {
            ServerProbe probe = new ServerProbe(settings, group);
            for (InetSocketAddress server : settings.servers()) {
                for (Check c : probe.probe(server, wanted)) {
                    checks.add(report(c, out));
                }
            }
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
