package mpgw.server;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;

/** One shared event loop for the test-side Netty peers (echo servers, MPTCP clients). */
final class Loops {
    static final EventLoopGroup GROUP = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());

    private Loops() {
    }
}
