package mpgw.gateway.udp;

import io.netty.channel.EventLoop;
import java.net.InetSocketAddress;

/** Makes tunnels for sessions: {@link FwdUdpStreamCarrier} or {@link UdpAssociateCarrier}. Thread-safe. */
interface UdpCarrier {
    /** Starts a tunnel for {@code client}'s session on {@code loop}; it reports to {@code listener}. */
    UdpTunnel open(EventLoop loop, InetSocketAddress client, UdpTunnel.Listener listener);
}
