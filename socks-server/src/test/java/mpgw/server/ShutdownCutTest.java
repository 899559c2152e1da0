package mpgw.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Issue 16 D4: the shutdown grace period ends with transfers still running. Before: the client got a FIN (a clean
 * EOF on a truncated download) and the log said relayed. Now both sides get a reset and the line says cut; a
 * transfer that ends inside the grace completes intact. {@code stop(grace)} is what SIGTERM runs (ServerMain).
 */
class ShutdownCutTest {
    @Test
    void aDownloadStillRunningAtTheEndOfTheGraceIsResetOnBothSidesAndLoggedAsCut() throws Exception {
        AtomicReference<String> sourceSaw = new AtomicReference<>("still running");
        try (ServerSocket source = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"));
             LogCapture log = LogCapture.open()) {
            Thread feeder = new Thread(() -> { // an endless download, 64 KiB every 10 ms
                try (Socket s = source.accept(); OutputStream out = s.getOutputStream()) {
                    byte[] chunk = new byte[65536];
                    for (int i = 0; i < 3000; i++) {
                        out.write(chunk);
                        Thread.sleep(10);
                    }
                    sourceSaw.set("no end within 30 s");
                } catch (SocketException e) {
                    sourceSaw.set("reset: " + e.getMessage());
                } catch (IOException | InterruptedException e) {
                    sourceSaw.set("other: " + e);
                }
            });
            feeder.start();
            TestServer server = TestServer.start(TestServer.ALLOW_LOOPBACK);
            try (SocksClient c = SocksClient.connect(server.address()).greetNoAuth()) {
                assertEquals(0, c.request(1, (InetSocketAddress) source.getLocalSocketAddress()).rep());
                c.read(65536);
                CompletableFuture<Void> stopping = CompletableFuture.runAsync(() -> server.server.stop(Duration.ofSeconds(1)));
                long start = System.nanoTime();
                try {
                    while (c.readSome() >= 0) {
                        if (System.nanoTime() - start > TimeUnit.SECONDS.toNanos(10)) {
                            fail("the download was not cut");
                        }
                    }
                    fail("a clean EOF: the cut download looks complete");
                } catch (SocketException e) {
                    assertTrue(e.getMessage().contains("reset"), e.getMessage());
                }
                stopping.get(10, TimeUnit.SECONDS);
            } finally {
                server.close();
            }
            feeder.join(10_000);
            assertTrue(sourceSaw.get().startsWith("reset"), "the destination saw: " + sourceSaw.get());
            PolicyTest.awaitCount(() -> (int) log.messages().stream().filter(m -> m.contains("outcome=cut")).count(), 1);
            assertTrue(log.messages().stream().noneMatch(m -> m.contains("cmd=CONNECT") && m.contains("outcome=relayed")),
                    log.messages().toString());
        }
    }

    @Test
    void aTransferThatEndsInsideTheGraceCompletesIntact() throws Exception {
        try (TcpEcho echo = new TcpEcho("127.0.0.1"); LogCapture log = LogCapture.open()) {
            TestServer server = TestServer.start(TestServer.ALLOW_LOOPBACK);
            try (SocksClient c = SocksClient.connect(server.address()).greetNoAuth()) {
                assertEquals(0, c.request(1, echo.address()).rep());
                CompletableFuture<Void> stopping = CompletableFuture.runAsync(() -> server.server.stop(Duration.ofSeconds(5)));
                Thread.sleep(300);
                byte[] data = new byte[200_000];
                new java.util.Random(1).nextBytes(data);
                c.send(data);
                assertArrayEquals(data, c.read(data.length));
                c.shutdownOutput();
                assertEquals(-1, c.readSome(), "a clean end");
                stopping.get(10, TimeUnit.SECONDS);
            } finally {
                server.close();
            }
            PolicyTest.awaitCount(() -> (int) log.messages().stream()
                    .filter(m -> m.contains("cmd=CONNECT") && m.contains("outcome=relayed")).count(), 1);
            assertTrue(log.messages().stream().noneMatch(m -> m.contains("outcome=cut")), log.messages().toString());
        }
    }
}
