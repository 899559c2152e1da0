package mpgw.gateway.udp;

import java.net.InetAddress;
import java.util.HashMap;
import java.util.Map;

/**
 * What one LAN host may take of the UDP path ({@code gateway.limits.udp-*}): sessions per client address, and
 * bytes of datagrams queued inside the gateway (waiting for their carrier, or in a carrier's write queue until
 * the kernel took them) per client address and in total. Every queued datagram is charged here when it arrives
 * and refunded exactly once when it leaves (written, dropped, or its session ended), so the gateway's datagram
 * memory is bounded by {@code udp-queued-bytes} whatever the number of sessions.
 *
 * <p>Fair share: while the queue holds more than half the budget, a client may hold at most an equal part of it
 * (the budget divided by the clients with bytes queued); a host that floods faster than the links carry gets its
 * part of the budget, and a host that sends little always finds room.
 *
 * <p>Threading: event-loop only (the UDP path has one loop); no locks.
 */
final class UdpBudget {
    private final long maxQueued;
    private final long maxQueuedPerClient;
    private final int maxSessionsPerClient;
    private final Map<InetAddress, Client> clients = new HashMap<>();
    private long queued;
    private int queuingClients;

    /** A client address's share in use; forgotten once it holds neither sessions nor bytes. */
    private static final class Client {
        int sessions;
        long queued;
    }

    UdpBudget(long maxQueued, long maxQueuedPerClient, int maxSessionsPerClient) {
        this.maxQueued = maxQueued;
        this.maxQueuedPerClient = maxQueuedPerClient;
        this.maxSessionsPerClient = maxSessionsPerClient;
    }

    /** Takes a session for {@code client}: null when admitted, else {@link UdpDrop#CLIENT_SESSIONS}. */
    UdpDrop openSession(InetAddress client) {
        Client c = clients.computeIfAbsent(client, k -> new Client());
        if (c.sessions >= maxSessionsPerClient) {
            forgetIfIdle(client, c);
            return UdpDrop.CLIENT_SESSIONS;
        }
        c.sessions++;
        return null;
    }

    /** Gives back a session taken by {@link #openSession}. */
    void sessionClosed(InetAddress client) {
        Client c = clients.get(client);
        if (c != null) {
            c.sessions--;
            forgetIfIdle(client, c);
        }
    }

    /**
     * Charges {@code bytes} queued for {@code client}: null when they fit, else the limit that refused them
     * ({@link UdpDrop#BUDGET}, {@link UdpDrop#CLIENT_BYTES}, {@link UdpDrop#FAIR_SHARE}); nothing is charged then.
     */
    UdpDrop charge(InetAddress client, int bytes) {
        Client c = clients.computeIfAbsent(client, k -> new Client());
        UdpDrop refused = refusal(c, bytes);
        if (refused != null) {
            forgetIfIdle(client, c);
            return refused;
        }
        if (c.queued == 0) {
            queuingClients++;
        }
        c.queued += bytes;
        queued += bytes;
        return null;
    }

    private UdpDrop refusal(Client c, int bytes) {
        if (queued + bytes > maxQueued) {
            return UdpDrop.BUDGET;
        }
        if (c.queued + bytes > maxQueuedPerClient) {
            return UdpDrop.CLIENT_BYTES;
        }
        if (queued + bytes > maxQueued / 2) {
            int sharing = queuingClients + (c.queued == 0 ? 1 : 0);
            if (c.queued + bytes > maxQueued / sharing) {
                return UdpDrop.FAIR_SHARE;
            }
        }
        return null;
    }

    /** Gives back bytes charged by {@link #charge}: the datagram left the gateway or was dropped. */
    void refund(InetAddress client, int bytes) {
        Client c = clients.get(client);
        if (c == null) {
            throw new IllegalStateException("refund of " + bytes + " bytes for a client with none charged");
        }
        c.queued -= bytes;
        queued -= bytes;
        if (c.queued == 0) {
            queuingClients--;
        }
        forgetIfIdle(client, c);
    }

    private void forgetIfIdle(InetAddress client, Client c) {
        if (c.sessions == 0 && c.queued == 0) {
            clients.remove(client);
        }
    }

    /** Bytes queued now, all clients. */
    long queued() {
        return queued;
    }

    /** Bytes queued now for {@code client}. */
    long queued(InetAddress client) {
        Client c = clients.get(client);
        return c == null ? 0 : c.queued;
    }

    /** Client addresses holding a session or queued bytes (bounded by the sessions open). */
    int clients() {
        return clients.size();
    }

    /** The key and value of the limit behind a refusal, for the log line. */
    String limit(UdpDrop refusal) {
        return switch (refusal) {
            case CLIENT_SESSIONS -> "limits.udp-sessions-per-client = " + maxSessionsPerClient;
            case CLIENT_BYTES -> "limits.udp-queued-bytes-per-client = " + maxQueuedPerClient;
            case BUDGET -> "limits.udp-queued-bytes = " + maxQueued;
            case FAIR_SHARE -> "its fair share of limits.udp-queued-bytes = " + maxQueued + " ("
                    + queuingClients + " clients queuing)";
            default -> refusal.tag();
        };
    }
}
