package mpgw.testing;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test class when Netty reported a leaked buffer during it. Registered for every test by
 * JUnit's extension auto-detection (see junit-platform.properties and META-INF/services).
 *
 * <p>Leaks are only noticed when a collected buffer's phantom reference is polled, which happens on
 * the next buffer allocation; so after the class it collects garbage and allocates a few buffers.
 */
public final class LeakGuardExtension implements AfterAllCallback {
    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        if (ResourceLeakDetector.getLevel() == ResourceLeakDetector.Level.DISABLED) {
            return;
        }
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(50);
            for (ByteBuf probe : List.of(PooledByteBufAllocator.DEFAULT.directBuffer(16),
                    PooledByteBufAllocator.DEFAULT.heapBuffer(16), UnpooledByteBufAllocator.DEFAULT.directBuffer(16),
                    UnpooledByteBufAllocator.DEFAULT.heapBuffer(16))) {
                probe.release();
            }
        }
        List<String> leaks = new ArrayList<>(LeakRecordingDetector.LEAKS);
        LeakRecordingDetector.LEAKS.clear();
        if (!leaks.isEmpty()) {
            throw new AssertionError(leaks.size() + " Netty buffer leak(s) during " + context.getDisplayName()
                    + ":\n" + String.join("\n----\n", leaks));
        }
    }
}
