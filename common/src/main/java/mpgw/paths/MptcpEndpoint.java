package mpgw.paths;

import java.util.ArrayList;
import java.util.List;

/**
 * One in-kernel MPTCP path-manager endpoint, as {@code ip mptcp endpoint show} prints it:
 * {@code 10.2.2.1 id 200 subflow dev wan2}.
 *
 * @param flags the endpoint's flags in the kernel's order ({@code signal}, {@code subflow}, {@code backup},
 *              {@code fullmesh}); implicit endpoints (created by the kernel for a subflow's address) have none
 *              that make the path manager act
 * @param device the interface the endpoint is bound to, or null
 */
public record MptcpEndpoint(String address, int id, List<String> flags, String device) {

    /** Parses the output of {@code ip mptcp endpoint show}; lines it does not understand are skipped. */
    public static List<MptcpEndpoint> parse(String show) {
        List<MptcpEndpoint> out = new ArrayList<>();
        for (String line : show.split("\n")) {
            String[] w = line.trim().split("\\s+");
            if (w.length < 3) {
                continue;
            }
            String address = w[0];
            int id = -1;
            String device = null;
            List<String> flags = new ArrayList<>();
            for (int i = 1; i < w.length; i++) {
                switch (w[i]) {
                    case "id" -> id = i + 1 < w.length ? parseInt(w[++i]) : -1;
                    case "dev" -> device = i + 1 < w.length ? w[++i] : null;
                    case "port", "rawflags" -> i++;
                    default -> flags.add(w[i]);
                }
            }
            if (id >= 0) {
                out.add(new MptcpEndpoint(address, id, List.copyOf(flags), device));
            }
        }
        return out;
    }

    private static int parseInt(String s) {
        try {
            return Integer.parseInt(s);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** True for endpoints that make the path manager open or announce paths (not implicit ones). */
    public boolean active() {
        return flags.contains("subflow") || flags.contains("signal");
    }

    /** The arguments that re-create this endpoint: {@code ADDR id N FLAGS... [dev D]}. */
    List<String> addArguments() {
        List<String> args = new ArrayList<>(List.of("mptcp", "endpoint", "add", address, "id", Integer.toString(id)));
        args.addAll(flags);
        if (device != null) {
            args.add("dev");
            args.add(device);
        }
        return args;
    }

    @Override
    public String toString() {
        return address + " id " + id + " " + String.join(" ", flags) + (device == null ? "" : " dev " + device);
    }
}
