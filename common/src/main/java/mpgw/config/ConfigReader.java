package mpgw.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Function;

/**
 * Typed, validated reads of one daemon's config subtree. Each getter turns a missing, mistyped or
 * out-of-range value into a {@link ConfigError} that names the full key and the file, e.g.
 * {@code server.conf: key 'server.limits.max-connections': must be between 1 and 1000000, got 0}.
 *
 * <p>Immutable and thread-safe; meant to be read once into a settings record at startup.
 */
public final class ConfigReader {
    private final Config config;
    private final String root;
    private final String file;

    ConfigReader(Config config, String root, String file) {
        this.config = config;
        this.root = root;
        this.file = file;
    }

    public Config config() {
        return config;
    }

    public String file() {
        return file;
    }

    /** A {@link ConfigError} for {@code key} (relative to the root). */
    public ConfigError error(String key, String problem) {
        return new ConfigError(file + ": key '" + root + "." + key + "': " + problem);
    }

    public ConfigReader sub(String key) {
        return read(key, () -> new ConfigReader(config.getConfig(key), root + "." + key, file));
    }

    public String string(String key) {
        return read(key, () -> config.getString(key).trim());
    }

    public boolean bool(String key) {
        return read(key, () -> config.getBoolean(key));
    }

    public int intIn(String key, int min, int max) {
        int v = read(key, () -> config.getInt(key));
        if (v < min || v > max) {
            throw error(key, "must be between " + min + " and " + max + ", got " + v);
        }
        return v;
    }

    /** A size such as {@code 64KiB} or {@code 4MiB} (or a plain number of bytes), within [min, max]. */
    public long bytesIn(String key, long min, long max) {
        long v = read(key, () -> config.getBytes(key));
        if (v < min || v > max) {
            throw error(key, "must be between " + min + " and " + max + " bytes, got " + v);
        }
        return v;
    }

    public List<String> strings(String key) {
        return read(key, () -> config.getStringList(key));
    }

    /** A duration such as {@code 10s}, {@code 500ms}, {@code 5m}; must be positive unless zero is allowed. */
    public Duration duration(String key, boolean zeroAllowed) {
        Duration d = read(key, () -> config.getDuration(key));
        if (d.isNegative() || (!zeroAllowed && d.isZero())) {
            throw error(key, "must be " + (zeroAllowed ? "zero or positive" : "positive") + ", got " + d);
        }
        return d;
    }

    /** One of {@code allowed} (case-insensitive), returned lower-case. */
    public String oneOf(String key, String... allowed) {
        String v = string(key).toLowerCase(Locale.ROOT);
        if (!Arrays.asList(allowed).contains(v)) {
            throw error(key, "'" + v + "' is not one of " + String.join(", ", allowed));
        }
        return v;
    }

    public List<Cidr> cidrs(String key) {
        return parseEach(key, Cidr::parse);
    }

    /** Literal {@code host:port} addresses ({@code 0.0.0.0:1080}, {@code [::1]:1080}); no DNS lookups. */
    public List<InetSocketAddress> socketAddresses(String key) {
        return parseEach(key, Addresses::parseSocketAddress);
    }

    /** A literal {@code host:port}, or empty when the value is the empty string ({@code ""} = off). */
    public Optional<InetSocketAddress> optionalSocketAddress(String key) {
        String v = string(key);
        if (v.isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(Addresses.parseSocketAddress(v));
        } catch (IllegalArgumentException e) {
            throw error(key, e.getMessage());
        }
    }

    /** Applies {@code parser} to each string of a list; a parser's IllegalArgumentException names the entry. */
    public <T> List<T> parseEach(String key, Function<String, T> parser) {
        List<T> out = new ArrayList<>();
        for (String s : strings(key)) {
            try {
                out.add(parser.apply(s.trim()));
            } catch (IllegalArgumentException e) {
                throw error(key, "entry '" + s + "': " + e.getMessage());
            }
        }
        return List.copyOf(out);
    }

    /** A list of objects, each read through its own {@link ConfigReader} (e.g. {@code users}). */
    public <T> List<T> objects(String key, Function<ConfigReader, T> parser) {
        List<? extends Config> list = read(key, () -> config.getConfigList(key));
        List<T> out = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            out.add(parser.apply(new ConfigReader(list.get(i), root + "." + key + "[" + i + "]", file)));
        }
        return List.copyOf(out);
    }

    private <T> T read(String key, java.util.function.Supplier<T> getter) {
        try {
            return getter.get();
        } catch (ConfigException.Missing e) {
            throw error(key, "missing");
        } catch (ConfigException.WrongType e) {
            throw error(key, "wrong type: " + e.getMessage());
        } catch (ConfigException.BadValue e) {
            throw error(key, e.getMessage());
        } catch (ConfigException e) {
            throw error(key, e.getMessage());
        }
    }
}
