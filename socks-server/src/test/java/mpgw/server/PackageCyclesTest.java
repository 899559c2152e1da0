package mpgw.server;

import java.nio.file.Path;
import mpgw.testing.PackageCycles;
import org.junit.jupiter.api.Test;

/** jdeps finds no package cycle in the socks-server's main classes. */
class PackageCyclesTest {
    @Test
    void noPackageCycleInMainCode() {
        PackageCycles.assertNone(Path.of("target/classes"));
    }
}
