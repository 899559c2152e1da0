package mpgw.gateway.upstream;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Collection;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * What {@code gateway.socks.pipelined = auto} has learnt about each socks-server address, with expiry
 * ({@code socks.pipelining-memory}):
 * <ul>
 *   <li><b>drops</b>: a step-by-step handshake beat a pipelined one to the command reply (microsocks reads each
 *       message with one recv and throws away what follows): flows to it go step by step at once;</li>
 *   <li><b>accepts</b>: a pipelined handshake got its command reply: a slow reply from it later is a slow
 *       destination, not dropped bytes, so it is not raced (no second connection to the destination).</li>
 * </ul>
 * Unknown servers get the pipelined handshake with a step-by-step one raced against it when the command reply is
 * late. The keys are configured server addresses only, so the table cannot grow beyond them.
 *
 * <p>Thread-safe: all event loops share one instance.
 */
public final class PipeliningMemory {
    private enum Verdict { DROPS, ACCEPTS }

    private record Entry(Verdict verdict, long untilNanos) {
    }

    private final long memoryNanos;
    private final LongSupplier clock;
    private final Map<InetSocketAddress, Entry> known = new ConcurrentHashMap<>();

    public PipeliningMemory(Duration memory) {
        this(memory, System::nanoTime);
    }

    PipeliningMemory(Duration memory, LongSupplier clock) {
        this.memoryNanos = memory.toNanos();
        this.clock = clock;
    }

    /** Remembers that {@code server} drops pipelined bytes; true when it was not known to already. */
    public boolean rememberDrops(InetSocketAddress server) {
        Entry before = known.put(server, new Entry(Verdict.DROPS, clock.getAsLong() + memoryNanos));
        return before == null || before.verdict != Verdict.DROPS || expired(before);
    }

    /** Remembers that {@code server} answered a pipelined request. */
    public void rememberAccepts(InetSocketAddress server) {
        known.put(server, new Entry(Verdict.ACCEPTS, clock.getAsLong() + memoryNanos));
    }

    public boolean drops(InetSocketAddress server) {
        return verdict(server) == Verdict.DROPS;
    }

    public boolean accepts(InetSocketAddress server) {
        return verdict(server) == Verdict.ACCEPTS;
    }

    /** True when any of {@code servers} drops pipelined bytes. */
    public boolean dropsAny(Collection<InetSocketAddress> servers) {
        for (InetSocketAddress s : servers) {
            if (drops(s)) {
                return true;
            }
        }
        return false;
    }

    private Verdict verdict(InetSocketAddress server) {
        Entry e = known.get(server);
        if (e == null) {
            return null;
        }
        if (expired(e)) {
            known.remove(server, e);
            return null;
        }
        return e.verdict;
    }

    private boolean expired(Entry e) {
        return clock.getAsLong() - e.untilNanos >= 0;
    }
}
