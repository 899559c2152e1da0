package mpgw.jni;

/**
 * Options applied to an outgoing socket before it connects.
 *
 * @param mark   {@code SO_MARK} for the socket's packets (0: leave unset). The gateway marks its upstream
 *               connections so its own REDIRECT/TPROXY rules let them pass (loop avoidance).
 * @param device {@code SO_BINDTODEVICE} interface name, or null.
 */
public record ClientSocketOptions(int mark, String device) {
    public static final ClientSocketOptions NONE = new ClientSocketOptions(0, null);

    public static ClientSocketOptions mark(int mark) {
        return new ClientSocketOptions(mark, null);
    }
}
