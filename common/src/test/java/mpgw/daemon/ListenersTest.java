package mpgw.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Binding with errors in words, and the stop with a grace period that both daemons use. */
class ListenersTest {
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    private final Listeners listeners = new Listeners("gateway", "flows", "ports below 1024 need root");

    @AfterEach
    void shutdown() {
        listeners.stop(Duration.ZERO);
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private ServerBootstrap bootstrap(CountDownLatch accepted) {
        return new ServerBootstrap().group(group).channel(EpollServerSocketChannel.class)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        listeners.track(ch);
                        accepted.countDown();
                    }
                });
    }

    @Test
    void aPortInUseIsAStartErrorThatSaysSo() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            InetSocketAddress address = new InetSocketAddress("127.0.0.1", taken.getLocalPort());
            DaemonStartException e = assertThrows(DaemonStartException.class,
                    () -> listeners.bind(bootstrap(new CountDownLatch(1)), address));
            assertEquals("cannot listen on 127.0.0.1:" + taken.getLocalPort()
                    + ": address already in use (another gateway running?)", e.getMessage());
        }
    }

    @Test
    void stopWaitsOutTheGraceThenCutsWhatIsStillOpenWithAReset() throws Exception {
        CountDownLatch accepted = new CountDownLatch(1);
        listeners.bind(bootstrap(accepted), new InetSocketAddress("127.0.0.1", 0));
        int port = listeners.addresses().get(0).getPort();
        try (Socket client = new Socket("127.0.0.1", port)) {
            assertTrue(accepted.await(5, TimeUnit.SECONDS));
            long start = System.nanoTime();
            listeners.stop(Duration.ofMillis(300));
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue(millis >= 300, "stopped after " + millis + " ms, before the grace period");
            client.setSoTimeout(5_000);
            // A reset, not a FIN: a transfer cut at the end of the grace must not look complete (issue 16 D4).
            java.net.SocketException reset = org.junit.jupiter.api.Assertions.assertThrows(
                    java.net.SocketException.class, () -> client.getInputStream().read());
            assertTrue(reset.getMessage().contains("reset"), reset.getMessage());
            assertTrue(listeners.addresses().isEmpty());
        }
    }

    @Test
    void theAcceptQueueIsTheKernelsSomaxconnWhateverTheBootstrapSaid() throws Exception {
        // Read line-wise: Files.readString trusts the size /proc reports and returns "4" of "4096".
        int somaxconn = Integer.parseInt(java.nio.file.Files.readAllLines(
                java.nio.file.Path.of("/proc/sys/net/core/somaxconn")).get(0).trim());
        org.junit.jupiter.api.Assumptions.assumeTrue(somaxconn > 1024, "net.core.somaxconn is " + somaxconn);
        // Both daemons' bootstraps asked for 1024 before; a burst of flows overflowed it (issue 16's soak).
        ServerBootstrap asTheDaemonsHadIt = bootstrap(new CountDownLatch(1))
                .option(io.netty.channel.ChannelOption.SO_BACKLOG, 1024);
        listeners.bind(asTheDaemonsHadIt, new InetSocketAddress("127.0.0.1", 0));
        int port = listeners.addresses().get(0).getPort();
        // The kernel's own view of the listening socket: for LISTEN, ss's Send-Q column is the accept queue size.
        Process ss = new ProcessBuilder("ss", "-Hltn", "sport = :" + port).redirectErrorStream(true).start();
        String out = new String(ss.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.US_ASCII);
        assertEquals(0, ss.waitFor(), out);
        String[] columns = out.trim().split("\\s+");
        assertEquals("LISTEN", columns[0], out);
        assertEquals(somaxconn, Integer.parseInt(columns[2]), "accept queue of 127.0.0.1:" + port + ": " + out);
    }
}
