package mpgw.paths;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Brings lost subflows back. The kernel's in-kernel path manager does not re-create a subflow that closed on
 * error, for instance when its WAN link was down long enough for the subflow to time out
 * (<a href="https://github.com/multipath-tcp/mptcp_net-next/issues/440">mptcp_net-next #440</a>); removing and
 * re-adding the endpoint makes it open subflows from that address again, for existing connections and new
 * ones. This watcher follows link state ({@code ip -o monitor link}, a child process) and, when an interface
 * comes back up (UP and LOWER_UP), waits {@code reannounceDelay} for its addresses and routes to return and then
 * deletes and re-adds every {@code subflow} or {@code signal} endpoint on that interface (same id, flags and
 * device), as {@code iptables/mpgw-endpoints --reannounce IFACE} does.
 *
 * <p>It acts on this host's endpoints only: with the recommended layout (router B announces its addresses as
 * {@code signal} endpoints, router A has none) the re-announcement belongs on router B. Needs CAP_NET_ADMIN.
 *
 * <p>Threading: link events are read on one thread; re-announcements run on one timer thread.
 */
public final class PathWatcher implements AutoCloseable {
    private static final Logger log = LogManager.getLogger(PathWatcher.class);
    private static final long RESTART_DELAY_MILLIS = 5_000;

    private final long reannounceDelayMillis;
    private final BiConsumer<String, Integer> onReannounced;
    private final Map<String, Boolean> up = new HashMap<>();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "path-watcher");
        t.setDaemon(true);
        return t;
    });
    private volatile Process monitor;
    private volatile boolean closed;

    private PathWatcher(long reannounceDelayMillis, BiConsumer<String, Integer> onReannounced) {
        this.reannounceDelayMillis = reannounceDelayMillis;
        this.onReannounced = onReannounced;
    }

    /**
     * Starts watching per {@code settings}; empty when it is off, or under {@code auto} when this host has no
     * endpoint to re-announce. {@code onReannounced} gets the interface and the number of endpoints re-added.
     */
    public static Optional<PathWatcher> start(PathWatcherSettings settings, BiConsumer<String, Integer> onReannounced)
            throws IOException {
        if (settings.mode() == PathWatcherSettings.Mode.OFF) {
            return Optional.empty();
        }
        List<MptcpEndpoint> endpoints = MptcpEndpoint.parse(SystemCommand.ip("mptcp", "endpoint", "show"));
        List<MptcpEndpoint> active = endpoints.stream().filter(MptcpEndpoint::active).toList();
        if (active.isEmpty() && settings.mode() == PathWatcherSettings.Mode.AUTO) {
            log.info("path watcher off: this host has no 'subflow' or 'signal' MPTCP endpoint to re-announce when"
                    + " a link comes back (with 'signal' endpoints on router B, the socks-server's watcher does it)");
            return Optional.empty();
        }
        PathWatcher w = new PathWatcher(settings.reannounceDelay().toMillis(), onReannounced);
        w.seed();
        w.launchMonitor();
        log.info("path watcher on: re-announces MPTCP endpoints {} when their link comes back up",
                active.isEmpty() ? "(none yet)" : active);
        return Optional.of(w);
    }

    /**
     * {@link #start}, for a daemon: traffic works without the watcher, so a failure to start it (no 'ip' tool, no
     * permission) is a warning, and lost subflows then stay lost until their endpoint is re-added by hand.
     */
    public static Optional<PathWatcher> startOrWarn(PathWatcherSettings settings,
                                                    BiConsumer<String, Integer> onReannounced) {
        try {
            return start(settings, onReannounced);
        } catch (IOException e) {
            log.warn("path watcher not started: {} (is iproute2's 'ip' installed?)", e.getMessage());
            return Optional.empty();
        }
    }

    private void seed() throws IOException {
        for (String line : SystemCommand.ip("-o", "link", "show").split("\n")) {
            LinkEvent e = LinkEvent.parse(line);
            if (e != null) {
                up.put(e.iface(), e.up());
            }
        }
    }

    private void launchMonitor() throws IOException {
        Process p = new ProcessBuilder("ip", "-o", "monitor", "link").redirectErrorStream(true).start();
        p.getOutputStream().close();
        monitor = p;
        Thread reader = new Thread(() -> follow(p), "path-watcher-monitor");
        reader.setDaemon(true);
        reader.start();
    }

    private void follow(Process p) {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                LinkEvent e = LinkEvent.parse(line);
                if (e != null) {
                    onLink(e);
                }
            }
        } catch (IOException e) {
            // the monitor went away; handled below
        }
        if (!closed) {
            log.warn("path watcher: 'ip monitor link' exited; restarting it in {} ms", RESTART_DELAY_MILLIS);
            timer.schedule(this::restart, RESTART_DELAY_MILLIS, TimeUnit.MILLISECONDS);
        }
    }

    private void restart() {
        if (closed) {
            return;
        }
        try {
            launchMonitor();
        } catch (IOException e) {
            log.warn("path watcher: cannot restart 'ip monitor link': {}", e.getMessage());
            timer.schedule(this::restart, RESTART_DELAY_MILLIS, TimeUnit.MILLISECONDS);
        }
    }

    private void onLink(LinkEvent e) {
        Boolean before = up.put(e.iface(), e.up());
        if (e.up() && !Boolean.TRUE.equals(before)) {
            log.info("path watcher: {} is up; re-announcing its MPTCP endpoints in {} ms", e.iface(),
                    reannounceDelayMillis);
            timer.schedule(() -> reannounce(e.iface()), reannounceDelayMillis, TimeUnit.MILLISECONDS);
        } else if (!e.up() && Boolean.TRUE.equals(before)) {
            log.info("path watcher: {} is down", e.iface());
        }
    }

    /** Deletes and re-adds the active endpoints bound to {@code iface} or holding one of its addresses. */
    void reannounce(String iface) {
        if (closed) {
            return;
        }
        int count = 0;
        try {
            Set<String> addresses = addressesOf(iface);
            for (MptcpEndpoint e : MptcpEndpoint.parse(SystemCommand.ip("mptcp", "endpoint", "show"))) {
                if (!e.active() || !(iface.equals(e.device()) || addresses.contains(e.address()))) {
                    continue;
                }
                SystemCommand.ip("mptcp", "endpoint", "delete", "id", Integer.toString(e.id()));
                SystemCommand.ip(e.addArguments().toArray(String[]::new));
                count++;
                log.info("path watcher: re-announced MPTCP endpoint {} ({} is back)", e, iface);
            }
        } catch (IOException e) {
            log.warn("path watcher: re-announcing the endpoints of {} failed: {}", iface, e.getMessage());
        }
        if (count > 0) {
            onReannounced.accept(iface, count);
        }
    }

    private static Set<String> addressesOf(String iface) throws IOException {
        Set<String> out = new HashSet<>();
        for (String line : SystemCommand.ip("-o", "addr", "show", "dev", iface).split("\n")) {
            String[] w = line.trim().split("\\s+");
            for (int i = 0; i + 1 < w.length; i++) {
                if (w[i].equals("inet") || w[i].equals("inet6")) {
                    out.add(w[i + 1].substring(0, w[i + 1].indexOf('/') < 0 ? w[i + 1].length() : w[i + 1].indexOf('/')));
                }
            }
        }
        return out;
    }

    @Override
    public void close() {
        closed = true;
        Process p = monitor;
        if (p != null) {
            p.destroy();
        }
        timer.shutdownNow();
    }
}
