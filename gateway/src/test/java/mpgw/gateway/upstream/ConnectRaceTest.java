package mpgw.gateway.upstream;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.Channel;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.concurrent.Promise;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import mpgw.gateway.metrics.GatewayMetrics;
import org.junit.jupiter.api.Test;

class ConnectRaceTest {
    private static final InetSocketAddress SERVER = new InetSocketAddress("10.0.0.1", 1080);

    /**
     * The soak (docs/testing.md, "Burst 1") ran the gateway out of descriptors; the first failed attempt then needed
     * a class not yet loaded, the load failed (NoClassDefFoundError) inside the attempt's listener, Netty swallowed
     * it, and the flow waited forever. Whatever a failed attempt's bookkeeping throws, the race must still end.
     */
    @Test
    void aFailedAttemptWhoseBookkeepingThrowsStillFailsTheFlow() {
        EmbeddedChannel channel = new EmbeddedChannel();
        Promise<Channel> result = channel.eventLoop().newPromise();
        GatewayMetrics throwing = new GatewayMetrics() {
            @Override
            public void upstreamConnectFailed(InetSocketAddress server) {
                throw new NoClassDefFoundError("mpgw/gateway/upstream/ConnectFailure");
            }
        };
        new ConnectRace(List.of(SERVER), s -> channel.newFailedFuture(new ConnectException("refused")),
                channel.eventLoop(), result, 250, 5000, new BadServerMemory(Duration.ofSeconds(30)), throwing).start();
        channel.runPendingTasks();

        assertTrue(result.isDone(), "the race never ended");
        assertFalse(result.isSuccess());
        assertInstanceOf(UpstreamConnectException.class, result.cause());
        assertTrue(result.cause().getMessage().contains("NoClassDefFoundError"), result.cause().getMessage());
        channel.finishAndReleaseAll();
    }
}
