package mpgw.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import mpgw.server.SocksClient.Reply;
import org.junit.jupiter.api.Test;

/** BIND (RFC 1928 §4): first reply with the listening address, second with the peer, then a relay. */
class BindTest {
    private static final InetSocketAddress FROM_LOOPBACK = new InetSocketAddress("127.0.0.1", 0);

    @Test
    void peerConnectsAndBytesFlowBothWaysWithHalfClose() throws Exception {
        try (TestServer server = TestServer.start(TestServer.ALLOW_LOOPBACK);
             SocksClient c = SocksClient.connect(server.address()).greetNoAuth()) {
            Reply first = c.request(2, FROM_LOOPBACK);
            assertEquals(0, first.rep());
            assertEquals(InetAddress.getByName("127.0.0.1"), first.bound().getAddress());
            try (Socket peer = new Socket()) {
                peer.setSoTimeout(5000);
                peer.connect(first.bound(), 5000);
                Reply second = c.readReply();
                assertEquals(0, second.rep());
                assertEquals(peer.getLocalSocketAddress(), second.bound(), "second reply names the peer");

                peer.getOutputStream().write("from peer".getBytes());
                assertArrayEquals("from peer".getBytes(), c.read(9));
                c.send("from client".getBytes());
                c.shutdownOutput();
                InputStream in = peer.getInputStream();
                assertArrayEquals("from client".getBytes(), in.readNBytes(11));
                assertEquals(-1, in.read(), "client EOF reaches the peer");
                peer.shutdownOutput();
                c.assertClosedWithin(Bounds.AT_ONCE_MS, "the peer's EOF ends the relay");
            }
        }
    }

    @Test
    void connectionFromAnotherAddressIsRefusedAndTheListenerKeepsWaiting() throws Exception {
        try (TestServer server = TestServer.start(TestServer.ALLOW_LOOPBACK);
             SocksClient c = SocksClient.connect(server.address()).greetNoAuth()) {
            Reply first = c.request(2, FROM_LOOPBACK);
            try (Socket stranger = new Socket()) {
                stranger.bind(new InetSocketAddress("127.0.0.2", 0));
                stranger.setSoTimeout(5000);
                stranger.connect(first.bound(), 5000);
                assertEquals(-1, stranger.getInputStream().read(), "stranger closed");
            }
            assertEquals(1, server.events.drops(Drop.BIND_FOREIGN_PEER));
            try (Socket peer = new Socket("127.0.0.1", first.bound().getPort())) {
                assertEquals(0, c.readReply().rep());
            }
        }
    }

    @Test
    void noPeerWithinTheTimeoutIsHostUnreachable() throws Exception {
        try (TestServer server = TestServer.start(TestServer.ALLOW_LOOPBACK + "\ntimeouts.connect = 300ms");
             SocksClient c = SocksClient.connect(server.address()).greetNoAuth()) {
            assertEquals(0, c.request(2, FROM_LOOPBACK).rep());
            long start = System.nanoTime();
            assertEquals(4, c.readReply().rep());
            Bounds.timer("BIND second reply after timeouts.connect = 300ms", Bounds.millisSince(start), 300);
            c.assertClosedWithin(Bounds.AT_ONCE_MS, "close after the second reply");
        }
    }

    @Test
    void clientCloseEndsTheWaitAndClosesTheListener() throws Exception {
        try (TestServer server = TestServer.start(TestServer.ALLOW_LOOPBACK)) {
            InetSocketAddress listening;
            try (SocksClient c = SocksClient.connect(server.address()).greetNoAuth()) {
                listening = c.request(2, FROM_LOOPBACK).bound();
            }
            long start = System.nanoTime();
            long deadline = start + 5_000_000_000L;
            boolean refused = false;
            while (!refused && System.nanoTime() < deadline) {
                try (Socket late = new Socket(listening.getAddress(), listening.getPort())) {
                    Thread.sleep(5); // poll interval, bounded by the deadline
                } catch (java.net.ConnectException e) {
                    refused = true;
                }
            }
            assertTrue(refused, "the BIND listener closed with its client");
            Bounds.check("BIND listener closed after its client", Bounds.millisSince(start), 0, Bounds.AT_ONCE_MS);
        }
    }

    @Test
    void deniedPeerAddressIsRefusedWith02() throws Exception {
        try (TestServer server = TestServer.start("");
             SocksClient c = SocksClient.connect(server.address()).greetNoAuth()) {
            assertEquals(2, c.request(2, FROM_LOOPBACK).rep());
            c.assertClosedWithin(Bounds.AT_ONCE_MS, "close after REP 02");
        }
    }
}
