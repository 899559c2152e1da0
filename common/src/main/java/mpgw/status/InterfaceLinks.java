package mpgw.status;

import java.io.IOException;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The socks-server's links: this host's network interfaces (all but loopback, with an address), with the kernel's
 * byte counters ({@code /sys/class/net/IF/statistics/tx_bytes} and {@code rx_bytes}). The server keeps no per-path
 * counters of its own (the gateway samples its upstream subflows; the server's connections come from the gateway),
 * so its view counts all traffic of an interface, mpgw's and any other. Stateless.
 */
public final class InterfaceLinks implements LinkSource {
    private final Path sysClassNet;

    public InterfaceLinks() {
        this(Path.of("/sys/class/net"));
    }

    InterfaceLinks(Path sysClassNet) {
        this.sysClassNet = sysClassNet;
    }

    @Override
    public List<LinkSample> links() {
        List<LinkSample> out = new ArrayList<>();
        List<NetworkInterface> all;
        try {
            all = Collections.list(NetworkInterface.getNetworkInterfaces());
        } catch (SocketException e) {
            return out;
        }
        for (NetworkInterface i : all) {
            try {
                if (i.isLoopback() || !i.getInetAddresses().hasMoreElements()) {
                    continue;
                }
                String addresses = Collections.list(i.getInetAddresses()).stream()
                        .filter(a -> !a.isLinkLocalAddress()).map(InetAddress::getHostAddress)
                        .collect(Collectors.joining(", "));
                out.add(new LinkSample(i.getName(), i.getName(), addresses, "", i.isUp() ? "up" : "down", null,
                        counter(i.getName(), "tx_bytes"), counter(i.getName(), "rx_bytes")));
            } catch (SocketException e) {
                // the interface went away while being read: it is not listed this second
            }
        }
        return out;
    }

    private long counter(String iface, String name) {
        try {
            return Long.parseLong(Files.readString(sysClassNet.resolve(iface).resolve("statistics").resolve(name),
                    StandardCharsets.US_ASCII).trim());
        } catch (IOException | NumberFormatException e) {
            return 0;
        }
    }
}
