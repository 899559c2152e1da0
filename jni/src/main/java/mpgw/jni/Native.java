package mpgw.jni;

/**
 * The native methods of libmpgw-jni, registered by its {@code JNI_OnLoad}. Each returns a value
 * {@code >= 0} on success or {@code -errno}; {@link NativeIoException#check} turns the latter into
 * exceptions. Callers go through {@link NativeLibrary#ensureAvailable()} first.
 */
final class Native {
    private Native() {
    }

    static native int abiVersion();

    static native int socketStream(boolean ipv6, boolean mptcp);

    static native int setMark(int fd, int mark);

    static native int getMark(int fd);

    static native int bindToDevice(int fd, String device);

    static native int getProtocol(int fd);

    /** Fills {@code out[0..16)} with the address (4 or 16 bytes used) and {@code out[16..18)} with the port. */
    static native int originalDestination(int fd, boolean ipv6, byte[] out);

    /** Serialized as documented in mpgw_jni.c and read by {@link MptcpInfo#parse}. */
    static native int mptcpInfo(int fd, boolean legacy, byte[] out);

    static native int setIpv6Transparent(int fd, boolean on);

    static native int setIpv6RecvOrigDstAddr(int fd, boolean on);

    /** IP_TRANSPARENT and IP_RECVORIGDSTADDR, plus the IPv6 twins on an IPv6 socket; SO_RCVBUFFORCE if > 0. */
    static native int setTransparentReceiver(int fd, boolean ipv6, int receiveBuffer);

    /** One recvmsg into native memory; {@code meta} as laid out in mpgw_jni.c (read by TransparentDatagramSocket). */
    static native int recvOrigDst(int fd, long memoryAddress, int capacity, byte[] meta);

    static native int enterNetns(String path);

    static native String errnoName(int errno);
}
