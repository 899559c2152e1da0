package mpgw.gateway.tcp;

import io.netty.channel.Channel;
import java.io.IOException;
import java.net.InetSocketAddress;
import mpgw.config.Addresses;
import mpgw.gateway.config.InterceptMode;
import mpgw.jni.OriginalDestination;

/** Where an intercepted flow was going, read from its accepted channel. */
@FunctionalInterface
public interface DestinationSource {
    /** REDIRECT: SO_ORIGINAL_DST / IP6T_SO_ORIGINAL_DST from conntrack. */
    DestinationSource REDIRECT = ch -> Addresses.normalize(OriginalDestination.of(ch));

    /** TPROXY: the listener is transparent, so the accepted socket is bound to the original destination. */
    DestinationSource TPROXY = ch -> Addresses.normalize((InetSocketAddress) ch.localAddress());

    InetSocketAddress destinationOf(Channel accepted) throws IOException;

    static DestinationSource of(InterceptMode mode) {
        return mode == InterceptMode.TPROXY ? TPROXY : REDIRECT;
    }
}
