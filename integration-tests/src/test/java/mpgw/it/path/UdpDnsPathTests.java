package mpgw.it.path;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import mpgw.it.harness.GatewayConfig;
import mpgw.it.harness.RequiresContainerEngine;
import mpgw.it.harness.Topology;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * DNS over UDP through the real path, {@code dig} on the client and dnsmasq on dst: the client's datagrams are
 * TPROXY'd on gw (which drops forwarded UDP, so nothing goes around the gateway), carried by the gateway in the
 * subclass's {@code gateway.udp.mode} to the socks peer on srv (mpgw's socks-server unless the subclass says
 * otherwise), and answered from dst's address. Each case
 * also checks the gateway's UDP meters moved, the proof that the answers came through it.
 */
@RequiresContainerEngine
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class UdpDnsPathTests {

    static final int MANY_QUERIES = 200;

    private static final String UP = "mpgw_gateway_udp_datagrams_total{direction=\"up\"}";
    private static final String DOWN = "mpgw_gateway_udp_datagrams_total{direction=\"down\"}";
    private static final String SESSIONS = "mpgw_gateway_udp_sessions_total";

    Topology net;

    /** The carrier under test: {@code stream} or {@code associate}. */
    abstract String mode();

    /** Starts the socks peer on {@code net.srv}; returns when it listens on {@link Topology#SOCKS_PORT}. */
    void startSocksPeer(Topology net) {
        net.startMpgwServer();
    }

    @BeforeAll
    void startTopology() {
        net = new Topology(2, GatewayPathTests.LINK_MBIT + "mbit");
        startSocksPeer(net);
        net.startGateway(GatewayConfig.forServers(net.serverAddresses()).withUdp(mode()));
    }

    @AfterAll
    void stopTopology() {
        if (net != null) {
            net.close();
        }
    }

    @Test
    void answersArriveThroughTheGateway() {
        Map<String, Double> before = net.gatewayMetrics();
        String plain = dig(Topology.DNS_NAME + " A +short");
        String below = dig("www." + Topology.DNS_NAME + " A +short");
        Map<String, Double> after = net.gatewayMetrics();
        assertAll(
                () -> assertEquals(Topology.DNS_ANSWER, plain.trim(), "answer for " + Topology.DNS_NAME),
                () -> assertEquals(Topology.DNS_ANSWER, below.trim(), "answer for www." + Topology.DNS_NAME),
                () -> assertTrue(delta(before, after, UP) >= 2, "queries counted up:\n" + udpSeries(after)),
                () -> assertTrue(delta(before, after, DOWN) >= 2, "answers counted down:\n" + udpSeries(after)),
                () -> assertTrue(delta(before, after, SESSIONS) >= 1, "sessions counted:\n" + udpSeries(after)),
                () -> assertEquals(0.0, drops(after), "no datagram dropped:\n" + udpSeries(after)));
    }

    /** A 2 KiB answer (EDNS, +bufsize=4096) arrives whole: the same size as dig sees next to dst, not truncated. */
    @Test
    void largeEdnsAnswerArrivesWhole() {
        String query = Topology.BIG_TXT_NAME + " TXT +bufsize=4096 +ignore";
        double downBefore = net.gatewayMetrics().getOrDefault(DOWN, 0.0);
        String viaGateway = dig(query);
        double down = net.gatewayMetrics().getOrDefault(DOWN, 0.0) - downBefore;
        // srv reaches dst directly: the size of the same answer without the gateway.
        String direct = net.srv.sh("dig @" + net.dstIp() + " " + query + " +tries=1 +time=5");
        int size = messageSize(viaGateway);
        System.out.printf("%s: EDNS answer of %d bytes through the gateway (%d direct)%n", name(), size,
                messageSize(direct));
        long records = Pattern.compile("(?m)^" + Pattern.quote(Topology.BIG_TXT_NAME) + "\\.\\s+\\d+\\s+IN\\s+TXT")
                .matcher(viaGateway).results().count();
        assertAll(
                () -> assertTrue(size > 1400, "answer larger than 1,400 bytes:\n" + viaGateway),
                () -> assertEquals(messageSize(direct), size, "same size as direct:\n" + viaGateway),
                () -> assertFalse(flags(viaGateway).contains("tc"), "not truncated:\n" + viaGateway),
                () -> assertEquals(Topology.BIG_TXT_RECORDS, records, "every TXT record:\n" + viaGateway),
                () -> assertTrue(down >= 1, "the answer came down through the gateway"));
    }

    /** dig -f sends each query from a new source port: each is a session of its own, and all are answered. */
    @Test
    void queriesFromManySourcePortsAreAllAnswered() {
        net.client.sh("for i in $(seq " + MANY_QUERIES + "); do echo \"@" + net.dstIp() + " q$i." + Topology.DNS_NAME
                + " A +short +tries=3 +time=5\"; done >/tmp/queries.txt");
        double sessionsBefore = net.gatewayMetrics().getOrDefault(SESSIONS, 0.0);
        long start = System.nanoTime();
        String out = net.client.sh("timeout 90 dig -f /tmp/queries.txt");
        long millis = (System.nanoTime() - start) / 1_000_000;
        Map<String, Double> after = net.gatewayMetrics();
        long answered = Arrays.stream(out.split("\n")).filter(Topology.DNS_ANSWER::equals).count();
        double sessions = after.getOrDefault(SESSIONS, 0.0) - sessionsBefore;
        System.out.printf("%s: %d dig queries, %d answered in %d ms, %.0f new sessions%n", name(), MANY_QUERIES,
                answered, millis, sessions);
        assertAll(
                () -> assertEquals(MANY_QUERIES, answered, "answered queries"),
                () -> assertTrue(sessions >= MANY_QUERIES / 2, "dig used many source ports: " + sessions
                        + " sessions\n" + udpSeries(after)),
                () -> assertEquals(0.0, drops(after), "no datagram dropped:\n" + udpSeries(after)));
    }

    private String name() {
        return getClass().getSimpleName();
    }

    /** dig from the client to dnsmasq on dst, one try; its stdout. */
    String dig(String args) {
        return net.client.sh("dig @" + net.dstIp() + " " + args + " +tries=1 +time=5");
    }

    private static int messageSize(String digOutput) {
        Matcher m = Pattern.compile("MSG SIZE\\s+rcvd: (\\d+)").matcher(digOutput);
        assertTrue(m.find(), "dig printed no message size:\n" + digOutput);
        return Integer.parseInt(m.group(1));
    }

    private static String flags(String digOutput) {
        Matcher m = Pattern.compile(";; flags:([^;]*);").matcher(digOutput);
        assertTrue(m.find(), "dig printed no flags:\n" + digOutput);
        return m.group(1);
    }

    private static double delta(Map<String, Double> before, Map<String, Double> after, String series) {
        return after.getOrDefault(series, 0.0) - before.getOrDefault(series, 0.0);
    }

    private static double drops(Map<String, Double> series) {
        return series.entrySet().stream().filter(e -> e.getKey().startsWith("mpgw_gateway_udp_drops_total"))
                .mapToDouble(Map.Entry::getValue).sum();
    }

    private static String udpSeries(Map<String, Double> series) {
        return series.entrySet().stream().filter(e -> e.getKey().startsWith("mpgw_gateway_udp_")).sorted(
                Map.Entry.comparingByKey()).map(e -> e.getKey() + " " + e.getValue()).collect(Collectors.joining("\n"));
    }
}
