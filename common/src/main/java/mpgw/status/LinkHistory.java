package mpgw.status;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The last {@link #SECONDS} seconds of each link's throughput, both directions, for the status page's graphs: a
 * ring of per-second rates per link, fed by {@link #record} once a second with the links' cumulative counters.
 *
 * <p>Bounded: {@link #SECONDS} x 2 longs per link and at most {@link #MAX_LINKS} links; links beyond that are
 * counted in {@link #linksNotShown()} and not kept (links come from the daemon's own configuration and
 * interfaces, never from peers, so the cap is a safety net). Thread-safe: one sampler thread records, HTTP
 * threads read {@link #snapshot()}.
 */
public final class LinkHistory {
    public static final int SECONDS = 300;
    public static final int MAX_LINKS = 32;

    private final Map<String, Ring> rings = new LinkedHashMap<>();
    private long lastSampleMillis;
    private int linksNotShown;

    /** One link's view for the page: its latest sample and its rates, oldest first, in bytes per second. */
    public record Link(LinkSample sample, long[] sentRates, long[] receivedRates) {
        public long sentRate() {
            return sentRates.length == 0 ? 0 : sentRates[sentRates.length - 1];
        }

        public long receivedRate() {
            return receivedRates.length == 0 ? 0 : receivedRates[receivedRates.length - 1];
        }
    }

    /** Every link's history, in the order links first appeared, and the time of the newest sample. */
    public record Snapshot(long sampleMillis, List<Link> links, int linksNotShown) {
    }

    /**
     * Adds one sample taken at {@code nowMillis}: each link's rate is its counter's growth since its previous sample
     * divided by the time between them. A link's first sample only sets its baseline; links absent from this sample
     * get 0 (their counters did not move).
     */
    public synchronized void record(long nowMillis, List<LinkSample> links) {
        long elapsed = lastSampleMillis == 0 ? 0 : nowMillis - lastSampleMillis;
        for (Ring r : rings.values()) {
            r.seen = false;
        }
        for (LinkSample s : links) {
            Ring r = rings.get(s.key());
            if (r == null) {
                if (rings.size() >= MAX_LINKS) {
                    linksNotShown++;
                    continue;
                }
                r = new Ring(s);
                rings.put(s.key(), r);
                r.seen = true;
                continue;
            }
            r.seen = true;
            r.add(s, elapsed);
        }
        for (Ring r : rings.values()) {
            if (!r.seen) {
                r.add(r.last, elapsed);
            }
        }
        lastSampleMillis = nowMillis;
    }

    public synchronized Snapshot snapshot() {
        List<Link> out = new ArrayList<>(rings.size());
        for (Ring r : rings.values()) {
            out.add(new Link(r.last, r.ordered(r.sent), r.ordered(r.received)));
        }
        return new Snapshot(lastSampleMillis, out, linksNotShown);
    }

    public synchronized int linksNotShown() {
        return linksNotShown;
    }

    private static final class Ring {
        final long[] sent = new long[SECONDS];
        final long[] received = new long[SECONDS];
        int next;
        int size;
        LinkSample last;
        boolean seen;

        Ring(LinkSample first) {
            last = first;
        }

        void add(LinkSample s, long elapsedMillis) {
            long sentDelta = Math.max(0, s.sentTotal() - last.sentTotal());
            long receivedDelta = Math.max(0, s.receivedTotal() - last.receivedTotal());
            last = s;
            if (elapsedMillis <= 0) {
                return;
            }
            sent[next] = sentDelta * 1000 / elapsedMillis;
            received[next] = receivedDelta * 1000 / elapsedMillis;
            next = (next + 1) % SECONDS;
            size = Math.min(size + 1, SECONDS);
        }

        long[] ordered(long[] ring) {
            long[] out = new long[size];
            int start = (next - size + SECONDS) % SECONDS;
            for (int i = 0; i < size; i++) {
                out[i] = ring[(start + i) % SECONDS];
            }
            return out;
        }
    }
}
