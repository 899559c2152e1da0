package mpgw.jni;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.Locale;

/**
 * Loads libmpgw-jni from this jar ({@code META-INF/native/libmpgw-jni-<arch>.so}) once per JVM.
 *
 * <p>The library is copied to a private temporary directory and loaded from there, because a
 * shared object cannot be mapped straight out of a jar. The directory is
 * {@code -Dmpgw.native.workdir} if set, else {@code java.io.tmpdir}. When loading fails, the
 * message says why and what to do (wrong OS, no build for this architecture, a noexec temporary
 * directory, a library that does not match this jar).
 */
public final class NativeLibrary {
    static final int ABI_VERSION = 1;
    private static final Throwable UNAVAILABILITY_CAUSE = load();

    private NativeLibrary() {
    }

    /** True when the native library is loaded and usable. */
    public static boolean isAvailable() {
        return UNAVAILABILITY_CAUSE == null;
    }

    /** Why the library is not available, or null when it is. */
    public static Throwable unavailabilityCause() {
        return UNAVAILABILITY_CAUSE;
    }

    /** Throws an {@link UnsatisfiedLinkError} that explains the problem when the library is unavailable. */
    public static void ensureAvailable() {
        if (UNAVAILABILITY_CAUSE != null) {
            throw (UnsatisfiedLinkError) new UnsatisfiedLinkError(UNAVAILABILITY_CAUSE.getMessage())
                    .initCause(UNAVAILABILITY_CAUSE);
        }
    }

    static String architecture() {
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        switch (arch) {
            case "amd64":
            case "x86_64":
                return "x86_64";
            case "aarch64":
            case "arm64":
                return "aarch64";
            default:
                return arch;
        }
    }

    private static Throwable load() {
        String os = System.getProperty("os.name", "");
        if (!os.toLowerCase(Locale.ROOT).startsWith("linux")) {
            return new UnsatisfiedLinkError("mpgw needs Linux (MPTCP, netfilter); this is " + os);
        }
        String name = "libmpgw-jni-" + architecture() + ".so";
        String resource = "META-INF/native/" + name;
        Path dir = null;
        Path file = null;
        try (InputStream in = NativeLibrary.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                return new UnsatisfiedLinkError("no " + resource + " in the mpgw-jni jar: it was built on another"
                        + " architecture; rebuild with 'mvn -pl jni package' on this machine (needs gcc and a JDK)");
            }
            Path base = Paths.get(System.getProperty("mpgw.native.workdir", System.getProperty("java.io.tmpdir")));
            dir = Files.createTempDirectory(base, "mpgw-jni-");
            file = dir.resolve(name);
            Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
            System.load(file.toString());
        } catch (IOException e) {
            return new UnsatisfiedLinkError("cannot unpack " + resource + ": " + e
                    + "; set -Dmpgw.native.workdir to a writable directory").initCause(e);
        } catch (UnsatisfiedLinkError e) {
            String hint = String.valueOf(e.getMessage()).contains("failed to map segment")
                    || String.valueOf(e.getMessage()).contains("Operation not permitted")
                    ? "; the directory is probably mounted noexec: set -Dmpgw.native.workdir to one that is not"
                    : "; check that the jar matches this machine (ldd " + file + ")";
            return new UnsatisfiedLinkError("cannot load " + file + ": " + e.getMessage() + hint).initCause(e);
        } finally {
            // Once mapped, the file is not needed; deleting it leaves nothing behind on exit.
            deleteQuietly(file);
            deleteQuietly(dir);
        }
        try {
            int abi = Native.abiVersion();
            if (abi != ABI_VERSION) {
                return new UnsatisfiedLinkError("libmpgw-jni ABI " + abi + " does not match the jar's " + ABI_VERSION
                        + ": the jar holds a stale library; rebuild the jni module");
            }
        } catch (UnsatisfiedLinkError e) {
            return new UnsatisfiedLinkError("libmpgw-jni loaded but its methods are missing (" + e.getMessage()
                    + "): the library does not match this jar; rebuild the jni module").initCause(e);
        }
        return null;
    }

    private static void deleteQuietly(Path path) {
        if (path != null) {
            try {
                Files.deleteIfExists(path);
            } catch (IOException ignored) {
                // A leftover file in a temp directory is harmless; failing the load for it is not.
            }
        }
    }
}
