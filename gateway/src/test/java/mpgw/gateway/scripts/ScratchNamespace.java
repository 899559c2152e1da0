package mpgw.gateway.scripts;

import java.util.concurrent.ThreadLocalRandom;

/**
 * A network namespace that exists for one test: created with loopback up, deleted on {@link #close()}.
 *
 * <p>Names are {@code mpgwt-<tag>-<random>} so parallel runs and leftovers from a killed run never clash.
 */
final class ScratchNamespace implements AutoCloseable {
  final String name;

  private ScratchNamespace(String name) {
    this.name = name;
  }

  static ScratchNamespace create(String tag) {
    String name = uniqueName(tag);
    Cmd.run("ip", "netns", "add", name).assertOk();
    ScratchNamespace ns = new ScratchNamespace(name);
    try {
      ns.exec("ip", "link", "set", "lo", "up").assertOk();
    } catch (RuntimeException | Error e) {
      ns.close();
      throw e;
    }
    return ns;
  }

  /** A short unique name: namespace names and the prefixes derived from them stay readable. */
  static String uniqueName(String tag) {
    return "mpgwt-" + tag + "-" + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x1000, 0x10000));
  }

  Cmd.Result exec(String... command) {
    return Cmd.inNs(name, command);
  }

  /** Runs a script of the repository with bash inside this namespace. */
  Cmd.Result script(String script, String... args) {
    String[] command = new String[args.length + 2];
    command[0] = "bash";
    command[1] = script;
    System.arraycopy(args, 0, command, 2, args.length);
    return exec(command);
  }

  @Override
  public void close() {
    Cmd.run("ip", "netns", "delete", name);
  }
}
