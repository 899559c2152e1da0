package mpgw.testing;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadLocalRandom;
import mpgw.jni.NetworkNamespace;

/**
 * A throwaway network namespace for a test: created with loopback up, deleted by {@link #close()}
 * (interfaces inside go with it). Names carry a random suffix so parallel runs never collide.
 */
public final class Netns implements AutoCloseable {
    private static final List<Netns> OPEN = new ArrayList<>();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            for (Netns ns : new ArrayList<>(OPEN)) {
                ns.close();
            }
        }));
    }

    private final String name;

    private Netns(String name) {
        this.name = name;
    }

    public static Netns create(String prefix) throws IOException, InterruptedException {
        String name = prefix + "-" + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x10000, 0xfffff));
        Sh.check("ip netns add " + name + " && ip -n " + name + " link set lo up");
        Netns ns = new Netns(name);
        synchronized (OPEN) {
            OPEN.add(ns);
        }
        return ns;
    }

    public String name() {
        return name;
    }

    /** Runs a shell script inside the namespace; fails unless it exits 0. */
    public String exec(String script) throws IOException, InterruptedException {
        return Sh.check("ip netns exec " + name + " bash -c '" + script.replace("'", "'\\''") + "'");
    }

    /** Runs Java code on a thread inside the namespace; sockets it creates live there. */
    public <T> T call(Callable<T> task) throws Exception {
        return NetworkNamespace.call(name, task);
    }

    @Override
    public void close() {
        try {
            Sh.run(List.of("ip", "netns", "del", name));
        } catch (IOException | InterruptedException ignored) {
            // Best effort: the shutdown hook tries again.
        }
        synchronized (OPEN) {
            OPEN.remove(this);
        }
    }

    /** Joins two namespaces with a veth pair; addresses with prefix length, e.g. "10.1.1.1/24". */
    public static void link(Netns a, String ifA, String addrA, Netns b, String ifB, String addrB)
            throws IOException, InterruptedException {
        Sh.check("ip link add " + ifA + " netns " + a.name + " type veth peer name " + ifB + " netns " + b.name);
        a.exec("ip addr add " + addrA + " dev " + ifA + (addrA.contains(":") ? " nodad" : "") + " && ip link set " + ifA + " up");
        b.exec("ip addr add " + addrB + " dev " + ifB + (addrB.contains(":") ? " nodad" : "") + " && ip link set " + ifB + " up");
    }
}
