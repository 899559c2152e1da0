package mpgw.gateway.links;

import java.nio.file.Files;
import java.nio.file.Path;

/** One configured link and what the links timer knows of it. Owned by the links timer thread. */
final class Link {
    final LinkSettings settings;
    final LinkHealth health;
    final LinkProbe probe;
    final LinkQuota quota;
    final LinkEndpoints endpoints;
    final LinkMetrics metrics;
    /** With {@code link-quota.action = off} and a quota: what cuts the link off once it is spent; else null. */
    LinkCutOff cutOff;
    LinkState state = LinkState.UP;
    Boolean backup;
    boolean endpointProblemLogged;
    boolean cutOffProblemLogged;
    private long lastBytes = -1;

    Link(LinkSettings settings, LinkHealth health, LinkProbe probe, LinkQuota quota, LinkEndpoints endpoints,
         LinkMetrics metrics) {
        this.settings = settings;
        this.health = health;
        this.probe = probe;
        this.quota = quota;
        this.endpoints = endpoints;
        this.metrics = metrics;
    }

    String iface() {
        return settings.iface();
    }

    /** Carrier and administratively up ({@code /sys/class/net/IF/carrier} reads 1; missing interface: false). */
    boolean carrier() {
        return carrier(iface());
    }

    static boolean carrier(String iface) {
        try {
            return Files.readString(Path.of("/sys/class/net", iface, "carrier")).trim().equals("1");
        } catch (java.io.IOException e) {
            return false; // no such interface, or it is administratively down (EINVAL)
        }
    }

    /** Feeds the interface's byte counter into the bytes metric. */
    void countBytes() {
        long now = LinkQuota.interfaceBytes(iface());
        if (now >= 0 && lastBytes >= 0) {
            metrics.addBytes(now >= lastBytes ? now - lastBytes : now);
        }
        if (now >= 0) {
            lastBytes = now;
        }
    }
}
