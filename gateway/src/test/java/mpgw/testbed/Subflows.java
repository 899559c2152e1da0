package mpgw.testbed;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The TCP subflows of MPTCP connections in a namespace as the kernel reports them ({@code ss -tni}): established
 * subflows towards {@code port}, keyed by local address, with the bytes the peer acknowledged on each.
 */
public final class Subflows {
    private Subflows() {
    }

    /** Local address (without {@code %dev}) to bytes_acked, for established MPTCP subflows to {@code port}. */
    public static Map<String, Long> bytesAckedByLocalAddress(Testbed testbed, String ns, int port)
            throws IOException, InterruptedException {
        Map<String, Long> acked = new LinkedHashMap<>();
        forEach(testbed, ns, port, (local, details) -> acked.merge(local, counter(details, "bytes_acked:"), Long::sum));
        return acked;
    }

    /** Local address to smoothed RTT in ms ({@code rtt:} of {@code ss -i}), for established MPTCP subflows. */
    public static Map<String, Double> rttMsByLocalAddress(Testbed testbed, String ns, int port)
            throws IOException, InterruptedException {
        Map<String, Double> rtt = new LinkedHashMap<>();
        forEach(testbed, ns, port, (local, details) -> {
            Matcher m = RTT.matcher(details);
            if (m.find()) {
                rtt.put(local, Double.parseDouble(m.group(1)));
            }
        });
        return rtt;
    }

    private static final Pattern RTT = Pattern.compile("\\brtt:([\\d.]+)/");

    /** Calls {@code subflow} with the local address and the detail line of each established subflow to port. */
    private static void forEach(Testbed testbed, String ns, int port, BiConsumer<String, String> subflow)
            throws IOException, InterruptedException {
        String out = testbed.exec(ns, "ss -tniH state established '( dport = :" + port + " )'");
        String local = null;
        for (String line : out.split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            if (!Character.isWhitespace(line.charAt(0))) {
                local = null;
                String[] w = line.trim().split("\\s+");
                for (int i = 1; i < w.length; i++) {
                    if (w[i].endsWith(":" + port)) {
                        local = host(w[i - 1]);
                    }
                }
            } else if (local != null && line.contains("tcp-ulp-mptcp")) {
                subflow.accept(local, line);
            }
        }
    }

    private static String host(String endpoint) {
        String h = endpoint.substring(0, endpoint.lastIndexOf(':'));
        int pct = h.indexOf('%');
        if (pct >= 0) {
            h = h.substring(0, pct);
        }
        return h.replace("[", "").replace("]", "");
    }

    private static long counter(String line, String name) {
        int i = line.indexOf(name);
        if (i < 0) {
            return 0;
        }
        int end = i + name.length();
        while (end < line.length() && Character.isDigit(line.charAt(end))) {
            end++;
        }
        return Long.parseLong(line.substring(i + name.length(), end));
    }

    /**
     * Polls {@link #bytesAckedByLocalAddress} every 100 ms until {@code wanted} holds; fails the test naming
     * {@code what} and the last sample after {@code seconds}.
     */
    public static Map<String, Long> await(Testbed testbed, String ns, int port, Predicate<Map<String, Long>> wanted,
                                          String what, int seconds) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        Map<String, Long> now = bytesAckedByLocalAddress(testbed, ns, port);
        while (!wanted.test(now)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no " + what + " within " + seconds + " s; subflows " + now);
            }
            Thread.sleep(100);
            now = bytesAckedByLocalAddress(testbed, ns, port);
        }
        return now;
    }
}
