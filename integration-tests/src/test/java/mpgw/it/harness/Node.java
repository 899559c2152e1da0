package mpgw.it.harness;

import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.model.Capability;
import com.github.dockerjava.api.model.ContainerNetwork;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;
import org.testcontainers.containers.Container.ExecResult;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;

/**
 * One host of the topology: a container of the {@link ProjectImage} that idles ({@code sleep infinity}) while
 * the test drives it through {@code docker exec}. It has {@code NET_ADMIN} and {@code NET_RAW} (tc, ip mptcp,
 * iptables/nft, TPROXY) and MPTCP enabled in its own network namespace.
 *
 * <p>A container starts on one network (API 1.41 creates it on one only); {@link #attach(Network)} adds more.
 * Interfaces are always found by address, never by position ({@link #interfaceOn(Network)}).
 *
 * <p>Nothing here talks to a mapped port: the tests work through exec alone, so they run the same against the
 * private CI engine (own network namespace) and a developer's Docker.
 */
public final class Node extends GenericContainer<Node> {

    private final String name;

    public Node(String name, Network first) {
        super(ProjectImage.get().image());
        this.name = name;
        withImagePullPolicy(ProjectImage.NEVER_PULL);
        withNetwork(first);
        withNetworkAliases(name);
        withCreateContainerCmdModifier(cmd -> {
            // The image's entrypoint is the mpgw launcher; a node idles and the test starts what it needs.
            cmd.withEntrypoint("sleep").withCmd("infinity");
            cmd.withHostName(name);
            cmd.getHostConfig()
                    .withCapAdd(Capability.NET_ADMIN, Capability.NET_RAW)
                    // Per-namespace sysctls: a fresh namespace may inherit strict rp_filter, and asymmetric
                    // subflow routing must not be dropped by it.
                    .withSysctls(Map.of(
                            "net.mptcp.enabled", "1",
                            "net.ipv4.conf.all.rp_filter", "0",
                            "net.ipv4.conf.default.rp_filter", "0"));
        });
    }

    /** The host name, as in the topology drawing ("client", "gw", "srv", "dst"). */
    public String name() {
        return name;
    }

    /** Connects this running container to one more network; its interface appears at once. */
    public void attach(Network network) {
        getDockerClient().connectToNetworkCmd().withContainerId(getContainerId()).withNetworkId(network.getId()).exec();
    }

    /** This node's IPv4 address on {@code network}. */
    public String ipOn(Network network) {
        InspectContainerResponse info = getDockerClient().inspectContainerCmd(getContainerId()).exec();
        for (ContainerNetwork n : info.getNetworkSettings().getNetworks().values()) {
            if (network.getId().equals(n.getNetworkID())) {
                return n.getIpAddress();
            }
        }
        throw new IllegalStateException(name + " is not attached to network " + network.getId());
    }

    /** The name of this node's interface on {@code network}, found by its address. */
    public String interfaceOn(Network network) {
        String ip = ipOn(network);
        String line = sh("ip -o -4 addr show to " + ip).trim();
        String[] fields = line.split("\\s+");
        if (fields.length < 2) {
            throw new IllegalStateException(name + ": no interface holds " + ip);
        }
        return fields[1];
    }

    /** Bytes sent ({@code "tx"}) or received ({@code "rx"}) by an interface so far. */
    public long interfaceBytes(String iface, String direction) {
        return Long.parseLong(sh("cat /sys/class/net/" + iface + "/statistics/" + direction + "_bytes").trim());
    }

    /** How long one {@link #sh}/{@link #shResult} command may run in the container. */
    public static final int SH_TIMEOUT_SECONDS = 240;

    /** Runs a shell script, returns its stdout; throws with stdout and stderr when it exits non-zero. */
    public String sh(String script) {
        ExecResult result = shResult(script);
        if (result.getExitCode() != 0) {
            throw new IllegalStateException(name + ": exit " + result.getExitCode()
                    + (result.getExitCode() == 124 ? " (a timeout ended it: this helper's limit is " + SH_TIMEOUT_SECONDS
                            + " s)" : "") + " from: " + script
                    + "\nstdout: " + result.getStdout() + "\nstderr: " + result.getStderr());
        }
        return result.getStdout();
    }

    /**
     * Runs a shell script and returns its result whatever the exit status. Bounded: {@code timeout} in the
     * container ends it after {@link #SH_TIMEOUT_SECONDS} (exit 124; the message says so), before JUnit's
     * per-test limit, so a stuck command fails its test naming the command.
     */
    public ExecResult shResult(String script) {
        try {
            return execInContainer("timeout", "-k", "5", String.valueOf(SH_TIMEOUT_SECONDS), "sh", "-c", script);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running on " + name + ": " + script, e);
        }
    }

    /**
     * Starts a long-running command detached from the exec session, output to {@code /var/log/<log>.log}.
     * The exec returns at once; the command runs until the container stops or it is killed by name.
     */
    public void background(String log, String command) {
        sh("setsid sh -c '" + command.replace("'", "'\\''") + "' </dev/null >/var/log/" + log + ".log 2>&1 &");
    }

    /** The log a {@link #background} command wrote so far (for failure messages). */
    public String log(String log) {
        return shResult("tail -c 4000 /var/log/" + log + ".log").getStdout();
    }

    /** Waits until something listens on TCP {@code port}, up to {@code seconds}; fails with the log. */
    public void awaitListening(int port, int seconds, String log) {
        awaitSocket("-Hltn", port, seconds, log);
    }

    /** Waits until a UDP socket is bound to {@code port}, up to {@code seconds}; fails with the log. */
    public void awaitListeningUdp(int port, int seconds, String log) {
        awaitSocket("-Hlun", port, seconds, log);
    }

    private void awaitSocket(String ssOptions, int port, int seconds, String log) {
        ExecResult r = shResult("for i in $(seq " + (seconds * 10) + "); do "
                + "ss " + ssOptions + " \"sport = :" + port + "\" | grep -q . && exit 0; sleep 0.1; done; exit 1");
        if (r.getExitCode() != 0) {
            throw new IllegalStateException(name + ": nothing listens on port " + port + " after " + seconds
                    + " s; /var/log/" + log + ".log:\n" + log(log));
        }
    }
}
