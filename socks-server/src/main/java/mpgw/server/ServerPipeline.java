package mpgw.server;

/**
 * Names of the pipeline slots of an accepted client channel, in order. The pipeline changes by phase:
 *
 * <pre>
 * accept     handshake-timeout  socks-decoder  socks-encoder  socks-handshake
 *            (Socks5InitialRequestDecoder -> Socks5PasswordAuthRequestDecoder -> CommandRequestDecoder)
 * request    socks-decoder  socks-encoder  command   (ConnectHandler | BindHandler | UdpAssociateHandler | FwdUdpHandler)
 * CONNECT,   idle-timeout  idle-close  relay                  (peer channel: relay; see TcpRelayStart)
 * BIND
 * FWD UDP    idle-timeout  idle-close  fwd-udp-decoder  fwd-udp-encoder  command
 * UDP ASSOC. command (TCP side only watches for EOF)
 * </pre>
 */
final class ServerPipeline {
    static final String HANDSHAKE_TIMEOUT = "handshake-timeout";
    static final String SOCKS_DECODER = "socks-decoder";
    static final String SOCKS_ENCODER = "socks-encoder";
    static final String SOCKS_HANDSHAKE = "socks-handshake";
    static final String COMMAND = "command";
    static final String IDLE_TIMEOUT = "idle-timeout";
    static final String IDLE_CLOSE = "idle-close";
    static final String FWD_UDP_DECODER = "fwd-udp-decoder";
    static final String FWD_UDP_ENCODER = "fwd-udp-encoder";

    private ServerPipeline() {
    }
}
