package mpgw.tls;

import io.netty.channel.Channel;

/**
 * Told once per connection how its TLS handshake ended, for the daemons' metrics (handshakes by outcome, handshake
 * time) and connection log. Called on the channel's event loop; must be quick and must not throw (an exception is
 * dropped, so a metrics failure never breaks traffic).
 */
@FunctionalInterface
public interface HandshakeListener {
    HandshakeListener NONE = (channel, result) -> { };

    void handshakeFinished(Channel channel, HandshakeResult result);
}
