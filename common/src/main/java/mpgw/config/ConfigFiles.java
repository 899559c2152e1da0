package mpgw.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigResolveOptions;
import com.typesafe.config.ConfigValue;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Loads one daemon's HOCON file over the defaults in {@code reference.conf}.
 *
 * <p>Contract: every daemon keeps its keys under one root ({@code server}, {@code gateway}) so both
 * reference files can share a class path. The file must exist and parse; a key the reference does not
 * define is an error (a typo would otherwise be ignored silently), and so is a renamed one, whose error names the
 * new key ({@link RenamedKeys}); {@code ${?VAR}} substitutions resolve
 * against the environment. Every failure is a {@link ConfigError} naming the file and key.
 *
 * <p>Threading: stateless; call once at startup.
 */
public final class ConfigFiles {
    private ConfigFiles() {
    }

    /** The subtree {@code root} of {@code file} layered over {@code reference.conf}, as a {@link ConfigReader}. */
    public static ConfigReader load(Path file, String root) {
        return load(file, root, ConfigFactory.empty());
    }

    /** As {@link #load(Path, String)}, with {@code overrides} (keys relative to the root) on top of the file. */
    public static ConfigReader load(Path file, String root, Config overrides) {
        String name = file.toString();
        if (!Files.isRegularFile(file)) {
            throw new ConfigError(name + ": no such file");
        }
        if (!Files.isReadable(file)) {
            throw new ConfigError(name + ": not readable");
        }
        Config reference = ConfigFactory.defaultReference(ConfigFiles.class.getClassLoader());
        if (!reference.hasPath(root)) {
            throw new IllegalStateException("no '" + root + "' section in reference.conf on the class path");
        }
        Config user;
        try {
            user = ConfigFactory.parseFile(file.toFile(), ConfigParseOptions.defaults().setAllowMissing(false));
        } catch (ConfigException e) {
            throw new ConfigError(name + ": " + e.getMessage(), e);
        }
        checkKeys(user, reference, name);
        try {
            Config merged = overrides.atPath(root).withFallback(user).withFallback(reference)
                    .resolve(ConfigResolveOptions.defaults());
            merged.checkValid(reference, root);
            return new ConfigReader(merged.getConfig(root), root, name);
        } catch (ConfigException e) {
            throw new ConfigError(name + ": " + e.getMessage(), e);
        }
    }

    /** Builds a reader over an in-memory config (tests, embedded use); keys are relative to the root. */
    public static ConfigReader fromString(String hocon, String root) {
        Config reference = ConfigFactory.defaultReference(ConfigFiles.class.getClassLoader());
        Config user;
        try {
            user = ConfigFactory.parseString(hocon).atPath(root);
        } catch (ConfigException e) {
            throw new ConfigError("(inline config): " + e.getMessage(), e);
        }
        checkKeys(user, reference, "(inline config)");
        try {
            Config merged = user.withFallback(reference).resolve();
            merged.checkValid(reference, root);
            return new ConfigReader(merged.getConfig(root), root, "(inline config)");
        } catch (ConfigException e) {
            throw new ConfigError("(inline config): " + e.getMessage(), e);
        }
    }

    /**
     * Renamed and unknown keys, checked before substitutions are resolved (so the error names the key, not a
     * substitution): a value such as {@code ${y}} is not resolved yet, and the Config API throws on reading it, so
     * values are taken from the entries and any other {@link ConfigException} becomes a {@link ConfigError} too
     * (found by ServerSettingsFuzzTest: {@code x = ${y}} gave a stack trace instead of the one-line error).
     */
    private static void checkKeys(Config user, Config reference, String name) {
        try {
            RenamedKeys.reject(user, name);
            rejectUnknownKeys(user, reference, name);
        } catch (ConfigException e) {
            throw new ConfigError(name + ": " + e.getMessage(), e);
        }
    }

    private static void rejectUnknownKeys(Config user, Config reference, String name) {
        java.util.TreeMap<String, ConfigValue> unknown = new java.util.TreeMap<>();
        for (Map.Entry<String, ConfigValue> e : user.entrySet()) {
            String key = e.getKey();
            if (!reference.hasPathOrNull(key) && !underListOrObjectValue(reference, key)) {
                unknown.put(key, e.getValue());
            }
        }
        if (!unknown.isEmpty()) {
            String first = unknown.firstKey();
            ConfigValue v = unknown.get(first);
            int line = v.origin().lineNumber();
            throw new ConfigError(name + (line > 0 ? ":" + line : "") + ": unknown key '" + first + "'"
                    + (unknown.size() > 1 ? " (and " + (unknown.size() - 1) + " more: " + unknown.keySet() + ")" : "")
                    + "; see reference.conf for the keys and their meaning");
        }
    }

    /** True when a parent of {@code key} is a reference value that is an object meant for free-form keys. */
    private static boolean underListOrObjectValue(Config reference, String key) {
        int dot = key.lastIndexOf('.');
        while (dot > 0) {
            String parent = key.substring(0, dot);
            if (reference.hasPathOrNull(parent) && !reference.getIsNull(parent)
                    && reference.getValue(parent).valueType() == com.typesafe.config.ConfigValueType.OBJECT
                    && reference.getObject(parent).isEmpty()) {
                return true;
            }
            dot = parent.lastIndexOf('.');
        }
        return false;
    }
}
