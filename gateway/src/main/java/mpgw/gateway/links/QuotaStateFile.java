package mpgw.gateway.links;

import java.io.IOException;
import java.io.Reader;
import java.io.StringWriter;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * The quota counts that survive a restart: {@code IFACE.period = 2026-12} and {@code IFACE.bytes = N} lines
 * (java.util.Properties). Written whole to a temporary file in the same directory, forced to disk, then renamed
 * over the old one (atomic on one file system), so a crash leaves the old file or the new one, never half of one.
 */
final class QuotaStateFile {
    /** One link's count in one period. */
    record Count(String period, long bytes) {
    }

    private final Path file;

    QuotaStateFile(Path file) {
        this.file = file;
    }

    /** The counts on disk; empty when there is no file yet. Unreadable entries are skipped (counted afresh). */
    Map<String, Count> read() throws IOException {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(r);
        } catch (NoSuchFileException e) {
            return Map.of();
        }
        Map<String, Count> out = new TreeMap<>();
        for (String key : p.stringPropertyNames()) {
            if (key.endsWith(".period")) {
                String iface = key.substring(0, key.length() - ".period".length());
                try {
                    long bytes = Long.parseLong(p.getProperty(iface + ".bytes", "0").trim());
                    if (bytes >= 0) {
                        out.put(iface, new Count(p.getProperty(key).trim(), bytes));
                    }
                } catch (NumberFormatException ignored) {
                    // a damaged entry starts from zero
                }
            }
        }
        return out;
    }

    void write(Map<String, Count> counts) throws IOException {
        StringWriter w = new StringWriter();
        w.write("# mpgw gateway link quota counts (gateway.link-quota.state-file); written by the gateway\n");
        for (Map.Entry<String, Count> e : new TreeMap<>(counts).entrySet()) {
            w.write(e.getKey() + ".period = " + e.getValue().period() + "\n");
            w.write(e.getKey() + ".bytes = " + e.getValue().bytes() + "\n");
        }
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = dir.resolve(file.getFileName() + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ch.write(StandardCharsets.UTF_8.encode(w.toString()));
            ch.force(true);
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
}
