package mpgw.gateway;

import java.nio.file.Path;
import mpgw.testing.PackageCycles;
import org.junit.jupiter.api.Test;

/**
 * The gateway's packages import one way (root -> tcp, udp, check -> upstream -> upstream.pool, metrics, config):
 * jdeps finds no package cycle in its main classes.
 */
class PackageCyclesTest {
    @Test
    void noPackageCycleInMainCode() {
        PackageCycles.assertNone(Path.of("target/classes"));
    }
}
