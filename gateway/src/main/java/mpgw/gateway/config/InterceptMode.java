package mpgw.gateway.config;

/** How intercepted TCP reaches the gateway, and so how its original destination is found. */
public enum InterceptMode {
    /** {@code iptables -t nat -j REDIRECT}: the destination is read back with SO_ORIGINAL_DST. */
    REDIRECT,
    /** {@code iptables -t mangle -j TPROXY}: the accepted socket's local address is the destination. */
    TPROXY
}
