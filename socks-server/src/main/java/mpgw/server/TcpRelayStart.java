package mpgw.server;

import io.netty.channel.Channel;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.timeout.IdleStateHandler;
import java.util.concurrent.TimeUnit;
import mpgw.connection.ConnectionRecord;
import mpgw.relay.Relay;

/**
 * The last step of CONNECT and BIND once the success reply is written: drops the SOCKS codec and the command
 * handler from the client's pipeline, adds the idle timeout, and joins client and peer with {@link Relay}; the
 * connection's log line is written when the relay ends. Call on the client's event loop, which the peer
 * channel shares.
 */
final class TcpRelayStart {
    private TcpRelayStart() {
    }

    /**
     * @param earlyBytes client bytes already written to the peer before the relay (pipelined behind the request)
     * @param clientEof  the client's EOF was read before the relay existed and must still reach the peer
     */
    static void join(ServerContext context, Channel client, Channel peer, long earlyBytes, boolean clientEof) {
        ConnectionRecord record = ConnectionRecord.of(client);
        record.relaying();
        ChannelPipeline p = client.pipeline();
        // The reply went through the encoder synchronously; the SOCKS codec is no longer needed.
        p.remove(ServerPipeline.SOCKS_DECODER);
        p.remove(ServerPipeline.SOCKS_ENCODER);
        p.remove(ServerPipeline.COMMAND);
        long idle = context.settings().timeouts().idle().toMillis();
        if (idle > 0) {
            p.addLast(ServerPipeline.IDLE_TIMEOUT, new IdleStateHandler(0, 0, idle, TimeUnit.MILLISECONDS));
            p.addLast(ServerPipeline.IDLE_CLOSE, new IdleCloseHandler("idle-timeout"));
        }
        context.events().bytes(earlyBytes, 0);
        Relay.join(client, peer, context.settings().relay(), context.events()::bytes, stats -> {
            record.relayEnded(stats.bytesUp() + earlyBytes, stats.bytesDown());
        });
        if (clientEof) {
            // The socket reports EOF once; replay it for the relay, which then shuts the peer's output.
            p.fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
        }
    }
}
