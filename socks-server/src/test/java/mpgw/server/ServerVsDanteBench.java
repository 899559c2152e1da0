package mpgw.server;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Throughput of one bulk flow and new connections per second through a SOCKS5 server on loopback: the
 * socks-server (default settings, MPTCP listener accepting TCP) against Dante (Debian's danted) in the same
 * run, with the same clients and sinks. Prints a table; asserts nothing. Needs {@code danted} on the PATH.
 *
 * <pre>mvn -q -o -pl socks-server exec:java -Dexec.classpathScope=test -Dexec.mainClass=mpgw.server.ServerVsDanteBench [-Dexec.args=SECONDS]</pre>
 */
public final class ServerVsDanteBench {
    private static final int CPS_CLIENTS = 4;

    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        EventLoopGroup sinkGroup = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        AtomicLong sunk = new AtomicLong();
        Channel sink = new ServerBootstrap().group(sinkGroup).channel(EpollServerSocketChannel.class)
                .childHandler(new Discard(sunk)).bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
        TcpEcho echo = new TcpEcho("127.0.0.1");
        InetSocketAddress sinkAddress = (InetSocketAddress) sink.localAddress();
        List<String> rows = new ArrayList<>();
        try (TestServer ours = TestServer.start(TestServer.ALLOW_LOOPBACK + "\nevent-loop-threads = 0");
             Dante dante = Dante.start()) {
            // Warm-up, not recorded: the JIT compiles the server's hot paths in the first seconds.
            row("warm-up", ours.address(), sinkAddress, echo.address(), sunk, 2);
            row("warm-up", dante.address, sinkAddress, echo.address(), sunk, 2);
            for (int round = 0; round < 2; round++) {
                rows.add(row("mpgw socks-server", ours.address(), sinkAddress, echo.address(), sunk, seconds));
                rows.add(row("Dante 1.4.2", dante.address, sinkAddress, echo.address(), sunk, seconds));
            }
        } finally {
            echo.close();
            sink.close().sync();
            sinkGroup.shutdownGracefully().sync();
        }
        System.out.printf("%n| server | bulk, 1 flow (Mbit/s) | new connections/s (%d clients) |%n|---|---|---|%n",
                CPS_CLIENTS);
        rows.forEach(System.out::println);
        System.exit(0);
    }

    private static String row(String name, InetSocketAddress proxy, InetSocketAddress sink, InetSocketAddress echo,
                              AtomicLong sunk, int seconds) throws Exception {
        double mbps = bulk(proxy, sink, sunk, seconds);
        double cps = connectionsPerSecond(proxy, echo, seconds);
        String row = String.format("| %s | %,.0f | %,.0f |", name, mbps, cps);
        try (var fds = Files.list(Path.of("/proc/self/fd"))) {
            System.err.printf("%s (%d file descriptors open in this JVM)%n", row, fds.count());
        }
        return row;
    }

    private static double bulk(InetSocketAddress proxy, InetSocketAddress sink, AtomicLong sunk, int seconds)
            throws Exception {
        try (SocksClient c = SocksClient.connect(proxy).greetNoAuth()) {
            if (c.request(1, sink).rep() != 0) {
                throw new IOException("proxy refused the sink");
            }
            OutputStream out = c.socket.getOutputStream();
            byte[] chunk = new byte[128 * 1024];
            long start = System.nanoTime();
            long before = sunk.get();
            long end = start + seconds * 1_000_000_000L;
            // A blocking write has no timeout: if the proxy stalls, closing the socket ends the run.
            Thread watchdog = new Thread(() -> {
                try {
                    Thread.sleep(seconds * 1000L + 5000);
                    c.close();
                } catch (InterruptedException | IOException e) {
                    // finished in time
                }
            });
            watchdog.start();
            try {
                while (System.nanoTime() < end) {
                    out.write(chunk);
                }
            } catch (IOException e) {
                System.err.println("bulk run stalled and was cut off: " + e.getMessage());
            } finally {
                watchdog.interrupt();
            }
            long bytes = sunk.get() - before;
            return bytes * 8 / ((System.nanoTime() - start) / 1e9) / 1e6;
        }
    }

    private static double connectionsPerSecond(InetSocketAddress proxy, InetSocketAddress echo, int seconds)
            throws Exception {
        AtomicLong done = new AtomicLong();
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < CPS_CLIENTS; i++) {
            Thread t = new Thread(() -> {
                while (System.nanoTime() < end) {
                    try (SocksClient c = SocksClient.connect(proxy).greetNoAuth()) {
                        // Reset on close: no TIME_WAIT, so the loopback port range lasts the whole run.
                        c.socket.setSoLinger(true, 0);
                        if (c.request(1, echo).rep() == 0) {
                            c.send(new byte[] {42});
                            c.read(1);
                            done.incrementAndGet();
                        }
                    } catch (IOException e) {
                        // counted as not done
                    }
                }
            });
            t.start();
            threads.add(t);
        }
        for (Thread t : threads) {
            t.join();
        }
        return done.get() / (double) seconds;
    }

    @ChannelHandler.Sharable
    private static final class Discard extends ChannelInboundHandlerAdapter {
        private final AtomicLong sunk;

        Discard(AtomicLong sunk) {
            this.sunk = sunk;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            sunk.addAndGet(((ByteBuf) msg).readableBytes());
            ((ByteBuf) msg).release();
        }
    }

    /** danted on a free loopback port, no authentication, loopback clients only; stopped by its PID. */
    private static final class Dante implements AutoCloseable {
        final InetSocketAddress address;
        private final Process process;

        private Dante(InetSocketAddress address, Process process) {
            this.address = address;
            this.process = process;
        }

        static Dante start() throws Exception {
            int port;
            try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
                port = s.getLocalPort();
            }
            Path dir = Files.createTempDirectory("mpgwsrv-dante");
            Path conf = dir.resolve("danted.conf");
            Files.writeString(conf, String.join("\n",
                    "logoutput: " + dir.resolve("danted.log"),
                    "internal: 127.0.0.1 port = " + port,
                    "external: 127.0.0.1",
                    "socksmethod: none", "clientmethod: none",
                    "user.privileged: root", "user.unprivileged: nobody",
                    "client pass { from: 127.0.0.0/8 to: 0.0.0.0/0 log: error }",
                    "socks pass { from: 127.0.0.0/8 to: 0.0.0.0/0 log: error }", ""));
            // -N 2: one worker set per core, as the machine has two.
            Process p = new ProcessBuilder("danted", "-f", conf.toString(), "-N", "2")
                    .redirectErrorStream(true).redirectOutput(dir.resolve("out.txt").toFile()).start();
            InetSocketAddress address = new InetSocketAddress("127.0.0.1", port);
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (true) {
                try (Socket probe = new Socket(address.getAddress(), port)) {
                    return new Dante(address, p);
                } catch (IOException e) {
                    if (System.nanoTime() > deadline || !p.isAlive()) {
                        p.destroyForcibly();
                        throw new IOException("danted did not start: " + Files.readString(dir.resolve("out.txt")));
                    }
                    Thread.sleep(50);
                }
            }
        }

        @Override
        public void close() throws InterruptedException {
            // SIGTERM to the main process: Dante's children leave with it. Then its descendants, by PID.
            List<ProcessHandle> children = process.descendants().toList();
            process.destroy();
            process.waitFor();
            children.forEach(ProcessHandle::destroy);
        }
    }
}
