package mpgw.gateway.links;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.LocalDate;
import java.time.ZoneOffset;

/**
 * One metered link's count: the bytes its interface received and sent ({@code /sys/class/net/IF/statistics}) in
 * the current period (UTC day or month). Counts everything that crosses the interface, as the provider bills it,
 * not only mpgw's flows. A counter that went backwards (the interface was re-created) counts from its new value.
 * Not thread-safe: the links timer owns it.
 */
final class LinkQuota {
    private final String iface;
    private final long limit;
    private final LinkSettings.QuotaPeriod period;
    private final Clock clock;
    private String currentPeriod;
    private long used;
    private long lastCounter = -1;

    LinkQuota(String iface, long limit, LinkSettings.QuotaPeriod period, Clock clock,
              QuotaStateFile.Count saved) {
        this.iface = iface;
        this.limit = limit;
        this.period = period;
        this.clock = clock;
        this.currentPeriod = periodNow();
        if (saved != null && saved.period().equals(currentPeriod)) {
            used = saved.bytes();
        }
    }

    /** Adds what the interface counted since the last call (nothing on the first call: that is the baseline). */
    void sample() {
        long counter = interfaceBytes(iface);
        String now = periodNow();
        if (!now.equals(currentPeriod)) {
            currentPeriod = now;
            used = 0;
        }
        if (counter >= 0 && lastCounter >= 0) {
            used += counter >= lastCounter ? counter - lastCounter : counter;
        }
        if (counter >= 0) {
            lastCounter = counter;
        }
    }

    boolean spent() {
        return used >= limit;
    }

    long used() {
        return used;
    }

    long limit() {
        return limit;
    }

    QuotaStateFile.Count count() {
        return new QuotaStateFile.Count(currentPeriod, used);
    }

    private String periodNow() {
        LocalDate d = LocalDate.now(clock.withZone(ZoneOffset.UTC));
        return period == LinkSettings.QuotaPeriod.DAY ? d.toString() : d.toString().substring(0, 7);
    }

    /** rx + tx bytes of the interface, or -1 when it does not exist (now). */
    static long interfaceBytes(String iface) {
        Path stats = Path.of("/sys/class/net", iface, "statistics");
        try {
            return Long.parseLong(Files.readString(stats.resolve("rx_bytes")).trim())
                    + Long.parseLong(Files.readString(stats.resolve("tx_bytes")).trim());
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
    }
}
