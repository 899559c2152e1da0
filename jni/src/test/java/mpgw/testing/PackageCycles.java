package mpgw.testing;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.spi.ToolProvider;
import java.util.stream.Collectors;

/**
 * The package cycles of one module's main classes, found by the JDK's {@code jdeps}: {@code -verbose:package} on
 * {@code target/classes} gives every package-to-package edge; edges between two packages of the module form a
 * graph whose strongly connected components of more than one package are the cycles.
 *
 * <p>Used by a test in each module (jdeps reads class files, so the test sees what was compiled, not what the
 * imports say). Stateless; any thread.
 */
public final class PackageCycles {
    private PackageCycles() {
    }

    /** The package-to-package edges among the module's own packages (self edges left out), sorted. */
    public static Map<String, Set<String>> edges(Path classes) {
        if (!Files.isDirectory(classes)) {
            throw new IllegalStateException(classes + " does not exist: compile the module first");
        }
        ToolProvider jdeps = ToolProvider.findFirst("jdeps")
                .orElseThrow(() -> new IllegalStateException("no jdeps in this JDK"));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int status = jdeps.run(new PrintWriter(out), new PrintWriter(err), "-verbose:package", "-filter:none",
                classes.toString());
        if (status != 0) {
            throw new IllegalStateException("jdeps failed (" + status + "): " + err);
        }
        // Lines look like "   mpgw.gateway.tcp   -> mpgw.gateway.upstream   classes"; "classes" marks a package
        // of the analysed directory, "not found" one elsewhere (other modules, libraries).
        Map<String, Set<String>> edges = new TreeMap<>();
        for (String line : out.toString().split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length >= 4 && f[1].equals("->") && f[3].equals("classes")) {
                Set<String> to = edges.computeIfAbsent(f[0], k -> new TreeSet<>());
                if (!f[0].equals(f[2])) {
                    to.add(f[2]);
                }
            }
        }
        return edges;
    }

    /** Each cycle as its packages, sorted; empty when the package graph is acyclic. */
    public static List<Set<String>> cycles(Path classes) {
        return cycles(edges(classes));
    }

    static List<Set<String>> cycles(Map<String, Set<String>> edges) {
        return new Tarjan(edges).components().stream().filter(c -> c.size() > 1).toList();
    }

    /**
     * Fails with a message naming every cycle among the packages of {@code classes} (a module's
     * {@code target/classes}) and the edges that close it; also fails when jdeps saw no package at all.
     */
    public static void assertNone(Path classes) {
        if (edges(classes).isEmpty()) {
            throw new AssertionError("jdeps saw no package in " + classes);
        }
        String cycles = describe(classes);
        if (!cycles.isEmpty()) {
            throw new AssertionError(cycles);
        }
    }

    /** A message naming every cycle and, for each, its edges; "" when there is none. */
    public static String describe(Path classes) {
        Map<String, Set<String>> edges = edges(classes);
        StringBuilder s = new StringBuilder();
        for (Set<String> cycle : cycles(edges)) {
            s.append("package cycle ").append(cycle).append(':');
            for (String from : cycle) {
                String to = edges.getOrDefault(from, Set.of()).stream().filter(cycle::contains)
                        .collect(Collectors.joining(", "));
                s.append("\n  ").append(from).append(" -> ").append(to);
            }
            s.append('\n');
        }
        return s.toString();
    }

    /** Tarjan's strongly connected components; recursive, which is fine for the few dozen packages of a module. */
    private static final class Tarjan {
        private final Map<String, Set<String>> edges;
        private final Map<String, Integer> index = new HashMap<>();
        private final Map<String, Integer> low = new HashMap<>();
        private final Deque<String> stack = new ArrayDeque<>();
        private final Set<String> onStack = new TreeSet<>();
        private final List<Set<String>> components = new ArrayList<>();
        private int next;

        Tarjan(Map<String, Set<String>> edges) {
            this.edges = edges;
        }

        List<Set<String>> components() {
            for (String v : edges.keySet()) {
                if (!index.containsKey(v)) {
                    visit(v);
                }
            }
            return components;
        }

        private void visit(String v) {
            index.put(v, next);
            low.put(v, next);
            next++;
            stack.push(v);
            onStack.add(v);
            for (String w : edges.getOrDefault(v, Set.of())) {
                if (!index.containsKey(w)) {
                    visit(w);
                    low.put(v, Math.min(low.get(v), low.get(w)));
                } else if (onStack.contains(w)) {
                    low.put(v, Math.min(low.get(v), index.get(w)));
                }
            }
            if (low.get(v).equals(index.get(v))) {
                Set<String> component = new TreeSet<>();
                String w;
                do {
                    w = stack.pop();
                    onStack.remove(w);
                    component.add(w);
                } while (!w.equals(v));
                components.add(component);
            }
        }
    }
}
