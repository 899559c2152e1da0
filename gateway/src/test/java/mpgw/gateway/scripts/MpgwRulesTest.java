package mpgw.gateway.scripts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Runs {@code iptables/mpgw-rules} for real, in a scratch network namespace per test, with both
 * backends, and inspects the resulting ruleset, policy routing and exit codes.
 */
class MpgwRulesTest {
  /** The options a typical router A install uses. */
  private static final String[] TYPICAL = {
    "--lan", "192.168.50.0/24", "--server", "10.9.9.9", "--server", "fd09::9", "--local-output"};

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"nft", "iptables"})
  void installTwiceGivesTheSameRuleset(String backend) {
    try (ScratchNamespace ns = ScratchNamespace.create("rules")) {
      install(ns, backend, TYPICAL).assertOk();
      String first = snapshot(ns);
      install(ns, backend, TYPICAL).assertOk();
      assertEquals(first, snapshot(ns));
      install(ns, backend, with(TYPICAL, "--ipv6")).assertOk();
      String firstV6 = snapshot(ns);
      install(ns, backend, with(TYPICAL, "--ipv6")).assertOk();
      assertEquals(firstV6, snapshot(ns));
      assertNotEquals(first, firstV6);
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"nft", "iptables"})
  void rulesRedirectToThePortAndLetMarkedServerAndLanTrafficPass(String backend) {
    try (ScratchNamespace ns = ScratchNamespace.create("rules")) {
      install(ns, backend, TYPICAL).assertOk();
      String rules = ruleset(ns, backend);
      int redirect;
      int markReturn;
      if (backend.equals("nft")) {
        Expect.contains(rules,
            "table inet mpgw",
            "meta l4proto tcp redirect to :12345",
            "meta mark 0x0000002a return",
            "fib daddr type local return",
            "10.9.9.9", "192.168.50.0/24", "127.0.0.0/8",
            "chain output_nat",
            "tproxy to :12346",
            "meta nfproto ipv4");
        Expect.lacks(rules, "fd09::9");
        redirect = rules.indexOf("redirect to");
        markReturn = rules.indexOf("meta mark 0x0000002a return");
      } else {
        Expect.contains(rules,
            "-A PREROUTING -p tcp -m comment --comment mpgw -j MPGW",
            "-A OUTPUT -p tcp -m comment --comment mpgw -j MPGW",
            "-A MPGW -m mark --mark 0x2a -j RETURN",
            "-A MPGW -m addrtype --dst-type LOCAL -j RETURN",
            "-A MPGW -d 10.9.9.9/32 -j RETURN",
            "-A MPGW -d 192.168.50.0/24 -j RETURN",
            "-A MPGW -d 127.0.0.0/8 -j RETURN",
            "-A MPGW -p tcp -j REDIRECT --to-ports 12345",
            "-A PREROUTING -p udp -m comment --comment mpgw -j MPGW_TPROXY",
            "-A MPGW_TPROXY -m mark --mark 0x2a -j RETURN",
            "-j TPROXY --on-port 12346",
            "--tproxy-mark 0x1/0x1");
        Expect.lacks(ns.exec("ip6tables-save").out(), "MPGW");
        redirect = rules.indexOf("-j REDIRECT");
        markReturn = rules.indexOf("-A MPGW -m mark");
      }
      assertTrue(markReturn < redirect, "the RETURNs must come before the REDIRECT:\n" + rules);
      Expect.contains(ns.exec("ip", "rule", "show").out(), "fwmark 0x1/0x1 lookup 100 proto 123");
      Expect.contains(ns.exec("ip", "route", "show", "table", "100").out(), "local default dev lo");
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"nft", "iptables"})
  void ipv6OptionAddsIpv6RulesAndRoutes(String backend) {
    try (ScratchNamespace ns = ScratchNamespace.create("rules")) {
      install(ns, backend, with(TYPICAL, "--ipv6")).assertOk();
      if (backend.equals("nft")) {
        String rules = ruleset(ns, backend);
        Expect.contains(rules, "fd09::9", "fe80::/10");
        Expect.lacks(rules, "meta nfproto ipv4");
      } else {
        Expect.contains(ns.exec("ip6tables-save").out(),
            "-A MPGW -d fd09::9/128 -j RETURN",
            "-A MPGW -p tcp -j REDIRECT --to-ports 12345",
            "-j TPROXY --on-port 12346");
      }
      Expect.contains(ns.exec("ip", "-6", "rule", "show").out(), "fwmark 0x1/0x1 lookup 100 proto 123");
      Expect.contains(ns.exec("ip", "-6", "route", "show", "table", "100").out(), "local default dev lo");
      // Reinstalling without --ipv6 takes the IPv6 half away again.
      install(ns, backend, TYPICAL).assertOk();
      Expect.lacks(ns.exec("ip6tables-save").out(), "MPGW");
      Expect.lacks(ns.exec("ip", "-6", "rule", "show").out(), "proto 123");
      if (backend.equals("nft")) {
        Expect.contains(ruleset(ns, backend), "meta nfproto ipv4");
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"nft", "iptables"})
  void dryRunPrintsCommandsAndChangesNothing(String backend) {
    try (ScratchNamespace ns = ScratchNamespace.create("rules")) {
      String before = snapshot(ns);
      Cmd.Result dry = install(ns, backend, with(TYPICAL, "--dry-run", "--ipv6")).assertOk();
      Expect.contains(dry.out().toLowerCase(), "redirect", "12345", "ip -4 rule add fwmark", "ip -6 rule add fwmark");
      assertEquals(before, snapshot(ns));

      install(ns, backend, TYPICAL).assertOk();
      String installed = snapshot(ns);
      Cmd.Result dryRemove = ns.script(Repo.rules(), "remove", "--dry-run").assertOk();
      assertTrue(!dryRemove.out().isBlank(), dryRemove.describe());
      assertEquals(installed, snapshot(ns));
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"nft", "iptables"})
  void removeLeavesNoTraceAndSucceedsWhenNothingIsInstalled(String backend) {
    try (ScratchNamespace ns = ScratchNamespace.create("rules")) {
      ns.script(Repo.rules(), "remove").assertOk();
      install(ns, backend, with(TYPICAL, "--ipv6")).assertOk();
      ns.script(Repo.rules(), "remove").assertOk();
      String after = snapshot(ns);
      Expect.lacks(after, "MPGW", "mpgw", "proto 123", "redirect", "TPROXY", "tproxy", "table 100");
      ns.script(Repo.rules(), "remove").assertOk();
      ns.script(Repo.rules(), "remove", "--backend", backend).assertOk();
      assertEquals(after, snapshot(ns));
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"nft", "iptables"})
  void statusExitCodeAndPorts(String backend) {
    try (ScratchNamespace ns = ScratchNamespace.create("rules")) {
      Cmd.Result none = ns.script(Repo.rules(), "status");
      assertEquals(1, none.exit(), none.describe());
      Expect.contains(none.out(), "installed=no");

      install(ns, backend, "--port", "23456", "--tproxy-port", "23457").assertOk();
      Cmd.Result status = ns.script(Repo.rules(), "status").assertOk();
      Expect.contains(status.out(), "installed=yes", "backend=" + backend, "tcp-port=23456",
          "udp-port=23457", "local-output=no", "ipv6=no", "udp-route=from all fwmark 0x1/0x1 lookup 100");
      ns.script(Repo.rules(), "status", "--backend", backend).assertOk();
      String other = backend.equals("nft") ? "iptables" : "nft";
      assertEquals(1, ns.script(Repo.rules(), "status", "--backend", other).exit());

      install(ns, backend, "--no-udp", "--local-output").assertOk();
      Expect.contains(ns.script(Repo.rules(), "status").assertOk().out(),
          "tcp-port=12345", "udp-port=none", "local-output=yes", "udp-route=none");
      Expect.lacks(snapshot(ns), "TPROXY", "tproxy", "proto 123");

      ns.script(Repo.rules(), "remove").assertOk();
      assertEquals(1, ns.script(Repo.rules(), "status").exit());
    }
  }

  @Test
  void installingOneBackendRemovesTheOther() {
    try (ScratchNamespace ns = ScratchNamespace.create("rules")) {
      install(ns, "nft", TYPICAL).assertOk();
      install(ns, "iptables", TYPICAL).assertOk();
      Expect.lacks(ns.exec("nft", "list", "ruleset").out(), "table inet mpgw");
      Expect.contains(ns.exec("iptables-save").out(), "-j REDIRECT --to-ports 12345");
      install(ns, "nft", TYPICAL).assertOk();
      Expect.lacks(ns.exec("iptables-save").out(), "MPGW");
      Expect.contains(ns.exec("nft", "list", "ruleset").out(), "table inet mpgw");
    }
  }

  @Test
  void badArgumentsExitWithTwoAndChangeNothing() {
    try (ScratchNamespace ns = ScratchNamespace.create("rules")) {
      String before = snapshot(ns);
      for (String[] args : List.of(
          new String[] {"install", "--port", "0"},
          new String[] {"install", "--port", "http"},
          new String[] {"install", "--backend", "pf"},
          new String[] {"install", "--mark", "0"},
          new String[] {"install", "--lan", "lan; rm -rf /"},
          new String[] {"install", "--bogus"},
          new String[] {"frobnicate"})) {
        Cmd.Result r = ns.script(Repo.rules(), args);
        assertEquals(2, r.exit(), r.describe());
        assertTrue(r.err().contains("mpgw-rules: "), r.describe());
      }
      assertEquals(before, snapshot(ns));
    }
  }

  private static Cmd.Result install(ScratchNamespace ns, String backend, String... options) {
    List<String> args = new ArrayList<>(List.of("install", "--backend", backend));
    args.addAll(List.of(options));
    return ns.script(Repo.rules(), args.toArray(String[]::new));
  }

  private static String[] with(String[] options, String... more) {
    List<String> all = new ArrayList<>(List.of(options));
    all.addAll(List.of(more));
    return all.toArray(String[]::new);
  }

  private static String ruleset(ScratchNamespace ns, String backend) {
    return backend.equals("nft")
        ? ns.exec("nft", "list", "table", "inet", "mpgw").assertOk().out()
        : ns.exec("iptables-save").assertOk().out();
  }

  /** Everything the script may touch, in a form that compares equal when nothing changed. */
  static String snapshot(ScratchNamespace ns) {
    return ns.exec("bash", "-c", String.join("; ",
        "echo '## nft'; nft list ruleset 2>/dev/null",
        "echo '## iptables'; iptables-save | grep -v '^#'",
        "echo '## ip6tables'; ip6tables-save | grep -v '^#'",
        "echo '## rules'; ip -4 rule show; ip -6 rule show",
        "echo '## routes'; ip -4 route show table all; ip -6 route show table all",
        "true")).assertOk().out();
  }
}
