package mpgw.status;

/**
 * One link as a daemon sees it at one sampling instant: what it is and its byte counters since the daemon started.
 *
 * @param key           stable identity of the link across samples (the gateway's path "10.1.1.1 -> 10.1.1.2:1080",
 *                      the server's interface name)
 * @param iface         the local interface ("" when unknown)
 * @param local         local address
 * @param remote        remote address and port ("" when the daemon does not know one)
 * @param state         {@code up}, {@code down} (the interface is down) or {@code gone} (no interface has the address)
 * @param role          the link's role once link roles exist ({@code gateway.links}); null until then
 * @param sentTotal     bytes sent over the link, cumulative
 * @param receivedTotal bytes received, cumulative
 */
public record LinkSample(String key, String iface, String local, String remote, String state, String role,
                         long sentTotal, long receivedTotal) {
}
