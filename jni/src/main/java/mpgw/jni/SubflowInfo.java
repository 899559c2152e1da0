package mpgw.jni;

import java.net.InetSocketAddress;

/**
 * One TCP subflow of an MPTCP connection: its addresses (the path it takes) and its counters.
 *
 * @param bytesSent     {@code tcpi_bytes_sent}, including retransmissions
 * @param bytesReceived {@code tcpi_bytes_received}
 * @param bytesAcked    {@code tcpi_bytes_acked}
 * @param rttMicros     smoothed RTT
 * @param tcpState      Linux TCP state number (1 = ESTABLISHED)
 */
public record SubflowInfo(InetSocketAddress local, InetSocketAddress remote, long bytesSent, long bytesReceived,
                          long bytesAcked, int rttMicros, int tcpState) {
    public static final int TCP_ESTABLISHED = 1;

    public boolean established() {
        return tcpState == TCP_ESTABLISHED;
    }
}
