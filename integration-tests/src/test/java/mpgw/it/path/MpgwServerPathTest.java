package mpgw.it.path;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import mpgw.it.harness.Topology;
import org.junit.jupiter.api.Test;

/** Router B runs mpgw's own socks-server: the project's two halves end to end. */
class MpgwServerPathTest extends GatewayPathTests {

    @Override
    void startSocksPeer(Topology net) {
        net.startMpgwServer();
    }

    /**
     * Link 2 silently drops everything for 3 s of a download (no carrier loss, as a dying Wi-Fi link), once it
     * carried part of it: MPTCP moves the data to link 1, the relays on both routers keep going, and the bytes
     * arrive intact.
     */
    @Test
    void transferSurvivesSilentlyDeadLink() throws Exception {
        long start = System.nanoTime();
        long atStart = net.linkBytes(2);
        CompletableFuture<String> download = CompletableFuture.supplyAsync(() -> net.client.sh(
                "curl -sS --fail --max-time 90 --limit-rate 3M http://" + net.dstIp() + ":" + Topology.HTTP_PORT
                        + "/blob | sha256sum | cut -d' ' -f1").trim());
        // The blackhole must hit a subflow in use: it starts once link 2 has carried 1 MiB of this transfer.
        long before = awaitLinkCarried(2, atStart, 1 << 20, download, "before the blackhole");
        System.out.println("blackhole: link 2 carried " + (before >> 10) + " KiB of the transfer before it");
        try {
            net.blackhole(2, true);
            Thread.sleep(3000); // the outage itself: 3 s of silence on link 2, not a wait for readiness
        } finally {
            net.blackhole(2, false);
        }
        String got = download.get(90, TimeUnit.SECONDS);
        System.out.printf("blackhole: %d MiB in %.1f s with link 2 dead for 3 s of it%n", Topology.BLOB_MIB,
                (System.nanoTime() - start) / 1e9);
        assertEquals(net.blobSha256(), got, "sha256 of the blob received across the blackholed link");
    }

    /** curl, a third-party SOCKS5 client, straight to the socks-server over link 2 (no gateway involved). */
    @Test
    void curlAsSocksClientOfTheServer() {
        String proxy = "socks5h://" + net.serverAddresses().get(1) + ":" + Topology.SOCKS_PORT;
        String got = net.gw.sh("curl -sS --fail --max-time 60 --proxy " + proxy + " http://" + net.dstIp() + ":"
                + Topology.HTTP_PORT + "/blob | sha256sum | cut -d' ' -f1").trim();
        assertEquals(net.blobSha256(), got, "sha256 of the blob curl fetched through the socks-server");
    }
}
