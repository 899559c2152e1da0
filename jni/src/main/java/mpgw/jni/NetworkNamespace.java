package mpgw.jni;

import java.io.IOException;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;

/**
 * Runs code inside a named network namespace ({@code ip netns add NAME}) on a thread of its own.
 * Sockets created by that code belong to the namespace for their whole life, whichever thread
 * (for example a Netty event loop) drives them afterwards. {@code setns(2)} moves only the calling
 * thread, so the rest of the JVM stays where it was. Used by tests, the demo and the benchmarks.
 */
public final class NetworkNamespace {
    private NetworkNamespace() {
    }

    public static <T> T call(String name, Callable<T> task) throws Exception {
        NativeLibrary.ensureAvailable();
        FutureTask<T> future = new FutureTask<>(() -> {
            NativeIoException.check("setns(" + name + ")", Native.enterNetns("/var/run/netns/" + name));
            return task.call();
        });
        Thread thread = new Thread(future, "netns-" + name);
        thread.start();
        try {
            return future.get();
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof Exception) {
                throw (Exception) cause;
            }
            throw new IOException(cause);
        } finally {
            thread.join();
        }
    }
}
