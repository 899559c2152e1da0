package mpgw.it.config;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import mpgw.it.harness.Node;
import mpgw.it.harness.RequiresContainerEngine;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.testcontainers.containers.Container.ExecResult;
import org.testcontainers.containers.Network;

/**
 * A daemon given a bad config file refuses to start, as it would on a router: exit status 2 and one message
 * naming the file and the key, no stack trace. Runs {@code bin/mpgw} in a container of the project image.
 */
@RequiresContainerEngine
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BadConfigTest {

    private Network network;
    private Node host;

    @BeforeAll
    void start() {
        network = Network.newNetwork();
        host = new Node("router", network);
        host.start();
    }

    @AfterAll
    void stop() {
        if (host != null) {
            host.stop();
        }
        if (network != null) {
            network.close();
        }
    }

    @ParameterizedTest(name = "{0}: {2}")
    @CsvSource(delimiter = '|', value = {
        "gateway | gateway.mptcp | gateway { servers = [\"10.1.1.2:1080\"], mptcp = sometimes }",
        "gateway | gateway.servers        | gateway { servers = [] }",
        "gateway | gateway.listen         | gateway { servers = [\"10.1.1.2:1080\"], listen = [\"nowhere\"] }",
        "server  | server.mptcp           | server { mptcp = sometimes }",
        "server  | server.listen          | server { listen = [\"nowhere\"] }",
        "server  | server.auth.users      | server { auth.method = password }",
    })
    void refusesToStart(String daemon, String key, String config) {
        String file = "/etc/mpgw/bad-" + key + ".conf";
        host.sh("mkdir -p /etc/mpgw && cat >" + file + " <<'EOF'\n" + config + "\nEOF");
        ExecResult result = host.shResult("timeout 30 mpgw " + daemon + " --config " + file);
        String stderr = result.getStderr();
        assertAll(
                () -> assertEquals(2, result.getExitCode(), "exit status; stderr: " + stderr),
                () -> assertTrue(stderr.contains(key), "names the key '" + key + "': " + stderr),
                () -> assertTrue(stderr.contains(file), "names the file: " + stderr),
                () -> assertFalse(stderr.contains("Exception") || stderr.contains("\tat "), "no stack trace: " + stderr));
    }
}
