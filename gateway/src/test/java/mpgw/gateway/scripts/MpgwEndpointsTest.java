package mpgw.gateway.scripts;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;

/**
 * Runs {@code iptables/mpgw-endpoints} for real in a scratch namespace with two veth "WAN" interfaces and
 * inspects the kernel's MPTCP limits and endpoints.
 */
class MpgwEndpointsTest {
  private static ScratchNamespace withWans() {
    ScratchNamespace ns = ScratchNamespace.create("ep");
    for (int i = 1; i <= 2; i++) {
      ns.exec("ip", "link", "add", "wan" + i, "type", "veth", "peer", "name", "peer" + i).assertOk();
      ns.exec("ip", "addr", "add", "10.7" + i + ".0.1/24", "dev", "wan" + i).assertOk();
      ns.exec("ip", "link", "set", "wan" + i, "up").assertOk();
      ns.exec("ip", "link", "set", "peer" + i, "up").assertOk();
    }
    return ns;
  }

  private static String endpoints(ScratchNamespace ns) {
    return ns.exec("ip", "mptcp", "endpoint", "show").assertOk().out();
  }

  @Test
  void gatewayRoleAddsSubflowEndpointsAndLimitsIdempotently() {
    try (ScratchNamespace ns = withWans()) {
      ns.script(Repo.endpoints(), "--role", "gateway", "--wan", "wan1", "--wan", "wan2").assertOk();
      String first = endpoints(ns);
      Expect.contains(first, "10.71.0.1 id 200 subflow dev wan1", "10.72.0.1 id 201 subflow dev wan2");
      Expect.contains(ns.exec("ip", "mptcp", "limits", "show").assertOk().out(), "add_addr_accepted 2", "subflows 3");
      ns.script(Repo.endpoints(), "--role", "gateway", "--wan", "wan1", "--wan", "wan2").assertOk();
      assertEquals(first, endpoints(ns));
    }
  }

  @Test
  void switchingToTheServerRoleTurnsOurEndpointsIntoSignalOnesAndLeavesForeignOnesAlone() {
    try (ScratchNamespace ns = withWans()) {
      ns.exec("ip", "mptcp", "endpoint", "add", "10.72.0.1", "id", "7", "signal").assertOk();
      ns.script(Repo.endpoints(), "--role", "gateway", "--wan", "wan1").assertOk();
      ns.script(Repo.endpoints(), "--role", "server", "--wan", "wan1", "--wan", "wan2").assertOk();
      String after = endpoints(ns);
      Expect.contains(after, "10.71.0.1 id 200 signal dev wan1", "10.72.0.1 id 7 signal");
      Expect.lacks(after, "subflow");
    }
  }

  /**
   * The end state equals the start state, so comparing them cannot tell a reannounce from a no-op: the script runs
   * with an {@code ip} on its PATH that records, after every endpoint change, what the kernel then holds. The
   * endpoint must be gone after the delete and back after the add, and the other one never touched.
   */
  @Test
  void reannounceDeletesAndReaddsTheSameEndpoint() throws Exception {
    try (ScratchNamespace ns = withWans()) {
      ns.script(Repo.endpoints(), "--role", "gateway", "--wan", "wan1", "--wan", "wan2").assertOk();
      String before = endpoints(ns);
      Cmd.Result dry = ns.script(Repo.endpoints(), "--reannounce", "wan2", "--dry-run").assertOk();
      Expect.contains(dry.out(), "ip mptcp endpoint delete id 201",
          "ip mptcp endpoint add 10.72.0.1 id 201 subflow dev wan2");
      Expect.lacks(dry.out(), "id 200");
      assertEquals(before, endpoints(ns), "a dry run changes nothing");

      Path dir = Files.createTempDirectory("mpgw-ip-trace");
      try {
        Path trace = dir.resolve("trace");
        Path ip = dir.resolve("ip");
        // Runs the real ip; after an endpoint add or delete, appends the command and the endpoints it left.
        Files.writeString(ip, String.join("\n",
            "#!/bin/bash",
            "/usr/sbin/ip \"$@\"; rc=$?",
            "if [ \"$1 $2\" = 'mptcp endpoint' ] && { [ \"$3\" = add ] || [ \"$3\" = delete ]; }; then",
            "  { echo \"> ip $* (exit $rc)\"; /usr/sbin/ip mptcp endpoint show; } >> " + trace,
            "fi",
            "exit $rc", ""));
        Files.setPosixFilePermissions(ip, PosixFilePermissions.fromString("rwx------"));
        ns.exec("env", "PATH=" + dir + ":" + System.getenv("PATH"), "bash", Repo.endpoints(), "--reannounce", "wan2")
            .assertOk();
        String log = Files.exists(trace) ? Files.readString(trace) : "";
        String[] steps = log.split("(?m)^> ");
        assertEquals(3, steps.length, "one delete, then one add:\n" + log);
        Expect.contains(steps[1], "ip mptcp endpoint delete id 201 (exit 0)", "10.71.0.1 id 200 subflow dev wan1");
        Expect.lacks(steps[1], "10.72.0.1");
        Expect.contains(steps[2], "ip mptcp endpoint add 10.72.0.1 id 201 subflow dev wan2 (exit 0)",
            "10.71.0.1 id 200 subflow dev wan1", "10.72.0.1 id 201 subflow dev wan2");
      } finally {
        try (var files = Files.walk(dir)) {
          files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
      }
      assertEquals(before, endpoints(ns));
    }
  }

  @Test
  void dryRunChangesNothingAndRemoveTakesOnlyOurs() {
    try (ScratchNamespace ns = withWans()) {
      String empty = endpoints(ns);
      Cmd.Result dry = ns.script(Repo.endpoints(), "--role", "server", "--wan", "wan1", "--dry-run").assertOk();
      Expect.contains(dry.out(), "ip mptcp endpoint add 10.71.0.1 id 200 signal dev wan1");
      assertEquals(empty, endpoints(ns));
      ns.exec("ip", "mptcp", "endpoint", "add", "10.72.0.1", "id", "7", "signal").assertOk();
      ns.script(Repo.endpoints(), "--role", "server", "--wan", "wan1").assertOk();
      ns.script(Repo.endpoints(), "remove").assertOk();
      String left = endpoints(ns);
      Expect.contains(left, "10.72.0.1 id 7 signal");
      Expect.lacks(left, "10.71.0.1");
    }
  }

  @Test
  void badArgumentsExitWithTwo() {
    try (ScratchNamespace ns = withWans()) {
      assertEquals(2, ns.script(Repo.endpoints(), "--wan", "wan1").exit(), "no role");
      assertEquals(2, ns.script(Repo.endpoints(), "--role", "gateway", "--wan", "nosuch").exit());
      assertEquals(2, ns.script(Repo.endpoints(), "--role", "server", "--fullmesh").exit());
      assertEquals(2, ns.script(Repo.endpoints(), "--role", "gateway", "--subflows", "9").exit());
    }
  }
}
