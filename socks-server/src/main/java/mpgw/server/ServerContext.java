package mpgw.server;

import io.netty.channel.group.ChannelGroup;

/**
 * The shared, thread-safe services every connection's handlers use: settings, metrics events, connection
 * limits, destination rules, the resolver, and the group of open client channels (for shutdown).
 */
record ServerContext(ServerSettings settings, ServerEvents events, ConnectionLimits limits,
                     DestinationPolicy policy, DestinationResolver resolver, ChannelGroup clients) {
}
