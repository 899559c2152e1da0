package mpgw.gateway.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import mpgw.testbed.Chromium;
import mpgw.testbed.DashboardQueries;
import mpgw.testbed.Daemon;
import mpgw.testbed.EchoService;
import mpgw.testbed.EchoTransfer;
import mpgw.testbed.GatewayProcess;
import mpgw.testbed.Metrics;
import mpgw.testbed.SocksServerProcess;
import mpgw.testbed.SourceTree;
import mpgw.testbed.Testbed;
import mpgw.testing.Sh;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The status page (issue 17) in a real browser while a flow crosses the two-link testbed: headless Chromium loads
 * each daemon's page, which must render without a console error, list both links, and show their latest rates
 * above 0 while the flow runs and at 0 once it has stopped. {@code mpgw status --once} prints both links with a
 * non-zero rate, and exits 1 once nothing listens. Screenshots of both pages go to {@code gateway/target/}
 * (docs/status.md shows them). A second test checks that no path shows the SOCKS5
 * credentials of the configs and that every query of the Grafana dashboard names a series of the live /metrics.
 */
class StatusPageInBrowserTest {
    private static final int SERVER_PORT = 1080;
    private static final int ECHO_PORT = 7000;
    private static final String GW_STATUS = "127.0.0.1:9464";
    private static final String SRV_STATUS = "127.0.0.1:9465";
    /** SOCKS5 credentials in both configs: no page, asset or document may show them. */
    private static final String USER = "user-c41f9e";
    private static final String PASSWORD = "pw-8d27b3";
    /** One link box of the page: its attributes (values are quoted, so a '>' inside one does not end the tag). */
    private static final Pattern LINK_BOX = Pattern.compile("<div class=\"link\"((?:\\s+[\\w-]+=\"[^\"]*\")*)>");

    @TempDir
    static Path work;
    private static Testbed tb;
    private static EchoService echo;

    @BeforeAll
    static void testbed() throws Exception {
        tb = Testbed.up("mpgwst-", "--links", "2", "--rate", "20mbit");
        tb.exec(tb.gw(), "bash " + SourceTree.script("iptables/mpgw-rules") + " install --no-udp --lan "
                + tb.get("LAN_CIDR") + " --server " + tb.get("SRV_IP") + " --server " + tb.get("SRV_WAN2_IP"));
        echo = EchoService.start(tb, tb.dst(), new InetSocketAddress("0.0.0.0", ECHO_PORT));
    }

    @AfterAll
    static void teardown() throws Exception {
        if (echo != null) {
            echo.close();
        }
        if (tb != null) {
            tb.close();
        }
    }

    /** A link as the page shows it: its key and the latest rates it drew. */
    private record LinkBox(String key, long sentRate, long receivedRate) {
    }

    private static List<LinkBox> linkBoxes(String dom) {
        List<LinkBox> boxes = new ArrayList<>();
        Matcher m = LINK_BOX.matcher(dom);
        while (m.find()) {
            Map<String, String> attrs = new LinkedHashMap<>();
            Matcher a = Pattern.compile("([\\w-]+)=\"([^\"]*)\"").matcher(m.group(1));
            while (a.find()) {
                attrs.put(a.group(1), a.group(2).replace("&gt;", ">").replace("&lt;", "<").replace("&amp;", "&"));
            }
            boxes.add(new LinkBox(attrs.get("data-key"), Long.parseLong(attrs.getOrDefault("data-sent-rate", "-1")),
                    Long.parseLong(attrs.getOrDefault("data-received-rate", "-1"))));
        }
        return boxes;
    }

    private static LinkBox box(List<LinkBox> boxes, String keyPart, String dom) {
        return boxes.stream().filter(b -> b.key().contains(keyPart)).findFirst()
                .orElseThrow(() -> new AssertionError("no link box for " + keyPart + " in " + boxes + "\n" + dom));
    }

    private static Chromium.Page load(Chromium browser, String ns, String address) throws Exception {
        Chromium.Page page = browser.load(ns, "http://" + address + "/", 4000);
        assertEquals(List.of(), page.console(), "browser console of " + address);
        assertFalse(page.dom().contains("<li>"), "the page reported a script error:\n" + page.dom());
        assertTrue(page.dom().contains("mpgw "), page.dom());
        return page;
    }

    @Test
    void bothPagesShowBothLinksMovingWithAFlowAndStatusPrintsThem() throws Exception {
        String server = """
                server {
                  listen = ["0.0.0.0:%d"]
                  metrics.listen = "%s"
                }
                """.formatted(SERVER_PORT, SRV_STATUS);
        String gateway = """
                gateway {
                  servers = ["%s:%d"]
                  metrics.listen = "%s"
                }
                """.formatted(tb.get("SRV_IP"), SERVER_PORT, GW_STATUS);
        String wan1 = tb.get("GW_WAN1_IP");
        String wan2 = tb.get("GW_WAN2_IP");
        Chromium browser = new Chromium(tb, work);
        Socket s = null;
        try (SocksServerProcess srv = SocksServerProcess.start(tb.srv(), server, work.resolve("srv"));
             GatewayProcess gw = GatewayProcess.start(tb.gw(), gateway, work.resolve("gw"))) {
            s = EchoTransfer.connect(tb, tb.client(), new InetSocketAddress(tb.get("DST_IP"), ECHO_PORT));
            Socket flow = s;
            CompletableFuture.runAsync(() -> {
                try {
                    EchoTransfer.over(flow, 1L << 30, 53); // far more than the test lasts; closed below
                } catch (Exception e) {
                    // the socket closed under it: the end of the flow this test wanted
                }
            });
            awaitStatusJson(tb.gw(), GW_STATUS, wan1, wan2);

            // The flow runs: each daemon's page lists both links, each with a rate above 0.
            Chromium.Page gwPage = load(browser, tb.gw(), GW_STATUS);
            List<LinkBox> gwLinks = linkBoxes(gwPage.dom());
            for (String wan : List.of(wan1, wan2)) {
                LinkBox b = box(gwLinks, wan + " -> ", gwPage.dom());
                assertTrue(b.sentRate() > 0 && b.receivedRate() > 0, "gateway page while the flow runs: " + b);
            }
            Chromium.Page srvPage = load(browser, tb.srv(), SRV_STATUS);
            List<LinkBox> srvLinks = linkBoxes(srvPage.dom());
            for (String iface : List.of("wan1", "wan2")) {
                LinkBox b = box(srvLinks, iface, srvPage.dom());
                assertTrue(b.sentRate() > 0 && b.receivedRate() > 0, "server page while the flow runs: " + b);
            }
            System.out.println("while the flow runs: gateway " + gwLinks + ", server " + srvLinks);

            // mpgw status --once, the way bin/mpgw runs it, inside router A.
            Sh.Result once = status(tb.gw(), "--once", "--url", "http://" + GW_STATUS);
            assertEquals(0, once.exitCode(), once.output());
            for (String wan : List.of(wan1, wan2)) {
                assertTrue(once.output().lines().anyMatch(l -> l.startsWith(wan + " -> ")
                        && l.matches(".*\\s[0-9.]+ (kbit|Mbit)/s\\s.*")), "a line for " + wan
                        + " with a non-zero rate in:\n" + once.output());
            }
            System.out.println("mpgw status --once:\n" + once.output());

            browser.screenshot(tb.gw(), "http://" + GW_STATUS + "/", 3000, Path.of("target", "status-gateway.png"));
            browser.screenshot(tb.srv(), "http://" + SRV_STATUS + "/", 3000, Path.of("target", "status-server.png"));

            // The flow stops: within a few seconds the latest values drop to 0.
            s.close();
            Thread.sleep(4000);
            Chromium.Page after = load(browser, tb.gw(), GW_STATUS);
            for (String wan : List.of(wan1, wan2)) {
                LinkBox b = box(linkBoxes(after.dom()), wan + " -> ", after.dom());
                assertEquals(0, b.sentRate() + b.receivedRate(), "gateway page after the flow: " + b);
            }
        } finally {
            if (s != null) {
                s.close();
            }
        }
        Sh.Result gone = status(tb.gw(), "--once", "--url", "http://" + GW_STATUS);
        assertEquals(1, gone.exitCode(), gone.output());
        assertTrue(gone.output().contains("status: no answer from http://" + GW_STATUS + "/status.json"),
                gone.output());
    }

    /**
     * With SOCKS5 credentials in both configs, no path of either listener shows them; and every query of the
     * Grafana dashboard names a series of both daemons' live /metrics during a flow.
     */
    @Test
    void noCredentialShownAndTheDashboardNamesExportedSeries() throws Exception {
        String server = """
                server {
                  listen = ["0.0.0.0:%d"]
                  metrics.listen = "%s"
                  auth { method = password, users = [{ user = "%s", password = "%s" }] }
                }
                """.formatted(SERVER_PORT, SRV_STATUS, USER, PASSWORD);
        String gateway = """
                gateway {
                  servers = ["%s:%d"]
                  metrics.listen = "%s"
                  socks { username = "%s", password = "%s" }
                }
                """.formatted(tb.get("SRV_IP"), SERVER_PORT, GW_STATUS, USER, PASSWORD);
        try (SocksServerProcess srv = SocksServerProcess.start(tb.srv(), server, work.resolve("srv2"));
             GatewayProcess gw = GatewayProcess.start(tb.gw(), gateway, work.resolve("gw2"));
             Socket s = EchoTransfer.connect(tb, tb.client(), new InetSocketAddress(tb.get("DST_IP"), ECHO_PORT))) {
            assertTrue(EchoTransfer.over(s, 4 << 20, 54).intact());
            awaitStatusJson(tb.gw(), GW_STATUS, tb.get("GW_WAN1_IP"), tb.get("GW_WAN2_IP"));
            for (String[] at : new String[][] {{tb.gw(), GW_STATUS}, {tb.srv(), SRV_STATUS}}) {
                for (String path : List.of("/", "/status.json", "/status.js", "/metrics")) {
                    String body = tb.exec(at[0], "curl -sf --max-time 5 http://" + at[1] + path);
                    assertFalse(body.contains(USER) || body.contains(PASSWORD), at[1] + path + " shows a credential");
                }
            }
            assertDashboardNamesExportedSeries(Metrics.scrape(tb, tb.gw(), GW_STATUS),
                    Metrics.scrape(tb, tb.srv(), SRV_STATUS));
        }
    }

    /** Server series registered at their first event (a UDP session of a kind), absent from a TCP-only run. */
    private static final Set<String> SERVER_AT_FIRST_USE = Set.of("mpgw_server_udp_sessions_active");

    /**
     * Every query of packaging/grafana's dashboard names a series one of the daemons exports now (a flow has run,
     * so the series registered at first use exist too), with the labels it selects or groups by.
     */
    private static void assertDashboardNamesExportedSeries(Metrics gateway, Metrics server) throws IOException {
        DashboardQueries dashboard = DashboardQueries.read(SourceTree.root().resolve(
                "packaging/grafana/mpgw-dashboard.json"));
        Map<String, Set<String>> exported = new LinkedHashMap<>(); // series name -> label names
        for (Metrics m : List.of(gateway, server)) {
            for (String series : m.series().keySet()) {
                int brace = series.indexOf('{');
                Set<String> labels = exported.computeIfAbsent(brace < 0 ? series : series.substring(0, brace),
                        k -> new java.util.HashSet<>());
                Matcher l = Pattern.compile("([a-zA-Z_]+)=\"").matcher(brace < 0 ? "" : series.substring(brace));
                while (l.find()) {
                    labels.add(l.group(1));
                }
            }
        }
        assertTrue(dashboard.series().size() >= 20, "the dashboard's queries: " + dashboard.exprs());
        // Series the gateway registers at their first event (a connect failure, say) may be absent from a healthy
        // run; GatewayMetricNamesTest makes each of them happen and checks its name.
        List<String> notYet = dashboard.series().stream().filter(n -> !exported.containsKey(n)
                && (Metrics.REGISTERED_AT_FIRST_USE.contains(n) || SERVER_AT_FIRST_USE.contains(n))).toList();
        List<String> missing = dashboard.series().stream().filter(n -> !exported.containsKey(n)
                && !notYet.contains(n)).toList();
        assertEquals(List.of(), missing, "dashboard series that neither daemon exports; they export "
                + exported.keySet());
        dashboard.labels().forEach((series, labels) -> assertTrue(notYet.contains(series)
                || exported.get(series).containsAll(labels),
                series + " has labels " + exported.get(series) + ", the dashboard uses " + labels));
        System.out.println("dashboard: " + dashboard.series().size() + " series, exported now: " + dashboard.series()
                + "; registered at their first event, not yet: " + notYet);
    }

    private static Sh.Result status(String ns, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns));
        cmd.addAll(Daemon.java("mpgw.status.cli.StatusCommand", args));
        return Sh.run(cmd);
    }

    /** Waits until the gateway's status.json has both paths with bytes moving (the sampler needs a second or two). */
    private static void awaitStatusJson(String ns, String address, String wan1, String wan2) throws Exception {
        long deadline = System.nanoTime() + 20_000_000_000L;
        String json = "";
        while (System.nanoTime() < deadline) {
            json = tb.exec(ns, "curl -sf --max-time 5 http://" + address + "/status.json");
            if (json.contains("\"key\":\"" + wan1 + " -> ") && json.contains("\"key\":\"" + wan2 + " -> ")) {
                return;
            }
            Thread.sleep(500);
        }
        throw new AssertionError("status.json never listed both paths: " + json);
    }
}
