package mpgw.testbed;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a {@code tcpdump -i any -tt -n -l -U} capture of router A (the flow's LAN leg to {@code echoPort} and the
 * upstream legs on the {@code wan} interfaces) taken while one flow ran on a warm pool member, and tells whether
 * router A sent the client's bytes towards router B before anything came back from router B: a pooled flow then
 * waits for no round trip (no TCP, TLS or SOCKS5 greeting exchange). Connections opened during the capture (pool
 * refills) are left out.
 */
public final class PooledFlowCapture {
    /** tcpdump -tt -n: direction, local end (Out) or remote end (In), the other end, flags, payload length. */
    private static final Pattern PACKET = Pattern.compile(
            "\\s(In|Out)\\s+IP\\s+(\\S+) > (\\S+?): Flags \\[([^\\]]*)\\].*length (\\d+)");

    private PooledFlowCapture() {
    }

    /**
     * The payload length of the first upstream packet after the client's first bytes reached router A if router A
     * sent it, 0 if router B's answer came first, -1 if the capture shows neither.
     */
    public static long sentBeforeAnswer(List<String> capture, int echoPort) {
        Set<String> opened = new HashSet<>();
        boolean clientSent = false;
        boolean connectSent = false;
        for (String line : capture) {
            Matcher p = PACKET.matcher(line);
            if (!p.find()) {
                continue;
            }
            boolean out = p.group(1).equals("Out");
            int length = Integer.parseInt(p.group(5));
            if (!line.contains(" wan")) {
                clientSent |= !out && length > 0 && p.group(3).endsWith("." + echoPort);
                continue;
            }
            String local = out ? p.group(2) : p.group(3);
            if (p.group(4).contains("S")) {
                opened.add(local);
            }
            if (opened.contains(local) || length == 0) {
                continue;
            }
            if (out && !connectSent) {
                connectSent = true; // the CONNECT request on the pooled member
                continue;
            }
            if (clientSent) {
                return out ? length : 0;
            }
        }
        return -1;
    }
}
