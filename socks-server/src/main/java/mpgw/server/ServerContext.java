package mpgw.server;

import mpgw.daemon.Listeners;

/**
 * The shared, thread-safe services every connection's handlers use: settings, metrics events, connection
 * limits, destination rules, the resolver, and the listeners, which track the open client channels (for
 * shutdown).
 */
record ServerContext(ServerSettings settings, ServerEvents events, ConnectionLimits limits,
                     DestinationPolicy policy, DestinationResolver resolver, Listeners listeners) {
}
