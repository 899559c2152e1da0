/*
 * mpgw's native gap-filler for Netty's epoll transport: MPTCP socket creation, SO_MARK,
 * SO_BINDTODEVICE, the original destination of a REDIRECTed connection, MPTCP connection info,
 * the IPv6 counterparts Netty lacks for transparent UDP, and entering a network namespace (tests
 * and the demo). Nothing else: Netty's own epoll channels drive every socket made here.
 *
 * Every function returns >= 0 on success and -errno on failure; the Java side (mpgw.jni.Native)
 * turns negative values into IOExceptions that name the operation and the errno.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <jni.h>
#include <netinet/in.h>
#include <linux/tcp.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/mptcp.h>

#define EXPORT __attribute__((visibility("default")))

#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP 262 /* Linux 5.6 */
#endif
#ifndef SOL_MPTCP
#define SOL_MPTCP 284 /* Linux 5.16 */
#endif
#ifndef SO_ORIGINAL_DST
#define SO_ORIGINAL_DST 80 /* linux/netfilter_ipv4.h */
#endif
#ifndef IP6T_SO_ORIGINAL_DST
#define IP6T_SO_ORIGINAL_DST 80 /* linux/netfilter_ipv6/ip6_tables.h */
#endif
#ifndef MPTCP_FULL_INFO
#define MPTCP_FULL_INFO 4 /* Linux 6.5 */
#endif
#ifndef IPV6_RECVORIGDSTADDR
#define IPV6_RECVORIGDSTADDR 74
#endif
#ifndef IPV6_TRANSPARENT
#define IPV6_TRANSPARENT 75
#endif
#ifndef IPV6_ORIGDSTADDR
#define IPV6_ORIGDSTADDR IPV6_RECVORIGDSTADDR /* Linux 2.6.37 */
#endif

/* Linux 6.5 uapi layouts, spelled out because distribution headers (Debian 12: 6.1) lack them. */
struct mpgw_subflow_info {
    __u32 id;
    struct mptcp_subflow_addrs addrs;
};

struct mpgw_full_info {
    __u32 size_tcpinfo_kernel;
    __u32 size_tcpinfo_user;
    __u32 size_sfinfo_kernel;
    __u32 size_sfinfo_user;
    __u32 num_subflows;
    __u32 size_arrays_user;
    __aligned_u64 subflow_info;
    __aligned_u64 tcp_info;
    struct mptcp_info mptcp_info;
};

/* The most subflows reported per connection; the kernel's own limit is 8. */
#define MAX_SUBFLOWS 8

/*
 * Serialized info, native byte order, read by mpgw.jni.MptcpInfo:
 *   i32 isMptcp, i32 subflowsReported, i32 subflowsTotal, i32 source (1 full info, 2 legacy)
 *   per subflow: i32 family, u8[16] local, i32 localPort, u8[16] remote, i32 remotePort,
 *                i64 bytesSent, i64 bytesReceived, i64 bytesAcked, i32 rttMicros, i32 state
 */
#define INFO_HEADER 16
#define INFO_RECORD (4 + 16 + 4 + 16 + 4 + 8 + 8 + 8 + 4 + 4)

static inline int neg_errno(void) {
    return errno > 0 ? -errno : -EIO;
}

static jint mpgw_socket_stream(JNIEnv *env, jclass clazz, jboolean ipv6, jboolean mptcp) {
    (void) env; (void) clazz;
    int fd = socket(ipv6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
                    mptcp ? IPPROTO_MPTCP : IPPROTO_TCP);
    return fd < 0 ? neg_errno() : fd;
}

static jint mpgw_set_mark(JNIEnv *env, jclass clazz, jint fd, jint mark) {
    (void) env; (void) clazz;
    int value = mark;
    return setsockopt(fd, SOL_SOCKET, SO_MARK, &value, sizeof(value)) < 0 ? neg_errno() : 0;
}

static jint mpgw_get_mark(JNIEnv *env, jclass clazz, jint fd) {
    (void) env; (void) clazz;
    int value = 0;
    socklen_t len = sizeof(value);
    if (getsockopt(fd, SOL_SOCKET, SO_MARK, &value, &len) < 0) return neg_errno();
    return value;
}

static jint mpgw_bind_to_device(JNIEnv *env, jclass clazz, jint fd, jstring device) {
    (void) clazz;
    const char *name = (*env)->GetStringUTFChars(env, device, NULL);
    if (name == NULL) return -ENOMEM;
    int rc = setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, name, (socklen_t) strlen(name));
    int saved = rc < 0 ? neg_errno() : 0;
    (*env)->ReleaseStringUTFChars(env, device, name);
    return saved;
}

static jint mpgw_get_protocol(JNIEnv *env, jclass clazz, jint fd) {
    (void) env; (void) clazz;
    int value = 0;
    socklen_t len = sizeof(value);
    if (getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &value, &len) < 0) return neg_errno();
    return value;
}

/* Writes address bytes (4 or 16) and the port into out[0..18); returns the address length. */
static jint copy_sockaddr(JNIEnv *env, const struct sockaddr_storage *ss, jbyteArray out) {
    jbyte buf[18];
    int len;
    uint16_t port;
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *sin = (const struct sockaddr_in *) ss;
        memcpy(buf, &sin->sin_addr, 4);
        port = ntohs(sin->sin_port);
        len = 4;
    } else if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *) ss;
        memcpy(buf, &sin6->sin6_addr, 16);
        port = ntohs(sin6->sin6_port);
        len = 16;
    } else {
        return -EAFNOSUPPORT;
    }
    buf[16] = (jbyte) (port >> 8);
    buf[17] = (jbyte) (port & 0xff);
    (*env)->SetByteArrayRegion(env, out, 0, 18, buf);
    return len;
}

static jint mpgw_original_dst(JNIEnv *env, jclass clazz, jint fd, jboolean ipv6, jbyteArray out) {
    (void) clazz;
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    memset(&ss, 0, sizeof(ss));
    int rc = ipv6 ? getsockopt(fd, SOL_IPV6, IP6T_SO_ORIGINAL_DST, &ss, &len)
                  : getsockopt(fd, SOL_IP, SO_ORIGINAL_DST, &ss, &len);
    if (rc < 0) return neg_errno();
    return copy_sockaddr(env, &ss, out);
}

static void put_i32(jbyte *p, int32_t v) { memcpy(p, &v, 4); }
static void put_i64(jbyte *p, int64_t v) { memcpy(p, &v, 8); }

static void put_addr(jbyte *p, const struct sockaddr *sa, int32_t *port) {
    memset(p, 0, 16);
    *port = 0;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *sin = (const struct sockaddr_in *) sa;
        memcpy(p, &sin->sin_addr, 4);
        *port = ntohs(sin->sin_port);
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *) sa;
        memcpy(p, &sin6->sin6_addr, 16);
        *port = ntohs(sin6->sin6_port);
    }
}

static void put_record(jbyte *rec, const struct mptcp_subflow_addrs *addrs, const struct tcp_info *ti) {
    int32_t port;
    put_i32(rec, addrs->sa_local.sa_family);
    put_addr(rec + 4, &addrs->sa_local, &port);
    put_i32(rec + 20, port);
    put_addr(rec + 24, &addrs->sa_remote, &port);
    put_i32(rec + 40, port);
    put_i64(rec + 44, (int64_t) ti->tcpi_bytes_sent);
    put_i64(rec + 52, (int64_t) ti->tcpi_bytes_received);
    put_i64(rec + 60, (int64_t) ti->tcpi_bytes_acked);
    put_i32(rec + 68, (int32_t) ti->tcpi_rtt);
    put_i32(rec + 72, ti->tcpi_state);
}

/* MPTCP_FULL_INFO (6.5+): one call, consistent snapshot. Returns subflows reported or -errno. */
static int full_info(int fd, struct mptcp_subflow_addrs *addrs, struct tcp_info *tis, int *total) {
    struct mpgw_subflow_info sfi[MAX_SUBFLOWS];
    struct mpgw_full_info mfi;
    memset(&mfi, 0, sizeof(mfi));
    memset(sfi, 0, sizeof(sfi));
    mfi.size_tcpinfo_user = sizeof(struct tcp_info);
    mfi.size_sfinfo_user = sizeof(struct mpgw_subflow_info);
    mfi.size_arrays_user = MAX_SUBFLOWS;
    mfi.subflow_info = (uintptr_t) sfi;
    mfi.tcp_info = (uintptr_t) tis;
    socklen_t len = sizeof(mfi);
    if (getsockopt(fd, SOL_MPTCP, MPTCP_FULL_INFO, &mfi, &len) < 0) return neg_errno();
    *total = (int) mfi.num_subflows;
    int n = mfi.num_subflows < MAX_SUBFLOWS ? (int) mfi.num_subflows : MAX_SUBFLOWS;
    for (int i = 0; i < n; i++) addrs[i] = sfi[i].addrs;
    return n;
}

/* MPTCP_TCPINFO + MPTCP_SUBFLOW_ADDRS (5.16+): two calls, the subflow set may change between them. */
static int legacy_info(int fd, struct mptcp_subflow_addrs *addrs, struct tcp_info *tis, int *total) {
    struct {
        struct mptcp_subflow_data d;
        struct tcp_info ti[MAX_SUBFLOWS];
    } tbuf;
    struct {
        struct mptcp_subflow_data d;
        struct mptcp_subflow_addrs a[MAX_SUBFLOWS];
    } abuf;
    memset(&tbuf, 0, sizeof(tbuf));
    memset(&abuf, 0, sizeof(abuf));
    tbuf.d.size_subflow_data = sizeof(struct mptcp_subflow_data);
    tbuf.d.size_user = sizeof(struct tcp_info);
    abuf.d.size_subflow_data = sizeof(struct mptcp_subflow_data);
    abuf.d.size_user = sizeof(struct mptcp_subflow_addrs);
    socklen_t tlen = sizeof(tbuf), alen = sizeof(abuf);
    if (getsockopt(fd, SOL_MPTCP, MPTCP_TCPINFO, &tbuf, &tlen) < 0) return neg_errno();
    if (getsockopt(fd, SOL_MPTCP, MPTCP_SUBFLOW_ADDRS, &abuf, &alen) < 0) return neg_errno();
    *total = (int) tbuf.d.num_subflows;
    unsigned int n = tbuf.d.num_subflows < abuf.d.num_subflows ? tbuf.d.num_subflows : abuf.d.num_subflows;
    if (n > MAX_SUBFLOWS) n = MAX_SUBFLOWS;
    for (unsigned int i = 0; i < n; i++) {
        tis[i] = tbuf.ti[i];
        addrs[i] = abuf.a[i];
    }
    return (int) n;
}

static jint mpgw_mptcp_info(JNIEnv *env, jclass clazz, jint fd, jboolean legacy, jbyteArray out) {
    (void) clazz;
    jbyte buf[INFO_HEADER + MAX_SUBFLOWS * INFO_RECORD];
    memset(buf, 0, sizeof(buf));
    struct mptcp_info mi;
    socklen_t milen = sizeof(mi);
    /* EOPNOTSUPP: an MPTCP socket that fell back to TCP; ENOPROTOOPT: a plain TCP socket. */
    if (getsockopt(fd, SOL_MPTCP, MPTCP_INFO, &mi, &milen) < 0) {
        if (errno == EOPNOTSUPP || errno == ENOPROTOOPT) {
            (*env)->SetByteArrayRegion(env, out, 0, INFO_HEADER, buf);
            return INFO_HEADER;
        }
        return neg_errno();
    }
    struct mptcp_subflow_addrs addrs[MAX_SUBFLOWS];
    struct tcp_info tis[MAX_SUBFLOWS];
    memset(addrs, 0, sizeof(addrs));
    memset(tis, 0, sizeof(tis));
    int total = 0;
    int n = -EOPNOTSUPP;
    int source = 1;
    if (!legacy) n = full_info(fd, addrs, tis, &total);
    if (n == -EOPNOTSUPP || n == -ENOPROTOOPT || n == -EINVAL) {
        source = 2;
        n = legacy_info(fd, addrs, tis, &total);
    }
    if (n < 0) return n;
    put_i32(buf, 1);
    put_i32(buf + 4, n);
    put_i32(buf + 8, total);
    put_i32(buf + 12, source);
    for (int i = 0; i < n; i++) put_record(buf + INFO_HEADER + i * INFO_RECORD, &addrs[i], &tis[i]);
    int size = INFO_HEADER + n * INFO_RECORD;
    if ((*env)->GetArrayLength(env, out) < size) return -ENOBUFS;
    (*env)->SetByteArrayRegion(env, out, 0, size, buf);
    return size;
}

static jint mpgw_set_ipv6_transparent(JNIEnv *env, jclass clazz, jint fd, jboolean on) {
    (void) env; (void) clazz;
    int v = on ? 1 : 0;
    if (setsockopt(fd, SOL_IPV6, IPV6_TRANSPARENT, &v, sizeof(v)) < 0) return neg_errno();
    return 0;
}

static jint mpgw_set_ipv6_recv_orig_dst(JNIEnv *env, jclass clazz, jint fd, jboolean on) {
    (void) env; (void) clazz;
    int v = on ? 1 : 0;
    if (setsockopt(fd, SOL_IPV6, IPV6_RECVORIGDSTADDR, &v, sizeof(v)) < 0) return neg_errno();
    return 0;
}

/*
 * Makes a datagram socket a TPROXY receiver: IP_TRANSPARENT (bind and receive for foreign addresses) and
 * IP_RECVORIGDSTADDR; on an IPv6 socket also their IPv6 twins, so the dual-stack socket reports the original
 * destination of IPv4 (SOL_IP cmsg) and IPv6 (SOL_IPV6 cmsg) datagrams alike; rcvbuf > 0 sets the receive
 * buffer. Needs CAP_NET_ADMIN.
 */
static jint mpgw_set_transparent_receiver(JNIEnv *env, jclass clazz, jint fd, jboolean ipv6, jint rcvbuf) {
    (void) env; (void) clazz;
    int on = 1;
    /* Beyond net.core.rmem_max (SO_RCVBUFFORCE, CAP_NET_ADMIN), so bursts wait in the kernel, not get lost. */
    if (rcvbuf > 0 && setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0
        && setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)) < 0) return neg_errno();
    if (setsockopt(fd, SOL_IP, IP_TRANSPARENT, &on, sizeof(on)) < 0) return neg_errno();
    if (setsockopt(fd, SOL_IP, IP_RECVORIGDSTADDR, &on, sizeof(on)) < 0) return neg_errno();
    if (ipv6) {
        if (setsockopt(fd, SOL_IPV6, IPV6_TRANSPARENT, &on, sizeof(on)) < 0) return neg_errno();
        if (setsockopt(fd, SOL_IPV6, IPV6_RECVORIGDSTADDR, &on, sizeof(on)) < 0) return neg_errno();
    }
    return 0;
}

/* Writes an address as [u8 length 4|16][16 bytes][u16 port]; IPv4-mapped IPv6 becomes IPv4. */
static void put_endpoint(jbyte *p, const struct sockaddr_storage *ss) {
    memset(p, 0, 19);
    uint16_t port = 0;
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *sin = (const struct sockaddr_in *) ss;
        p[0] = 4;
        memcpy(p + 1, &sin->sin_addr, 4);
        port = ntohs(sin->sin_port);
    } else if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *) ss;
        if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
            p[0] = 4;
            memcpy(p + 1, &sin6->sin6_addr.s6_addr[12], 4);
        } else {
            p[0] = 16;
            memcpy(p + 1, &sin6->sin6_addr, 16);
        }
        port = ntohs(sin6->sin6_port);
    }
    p[17] = (jbyte) (port >> 8);
    p[18] = (jbyte) (port & 0xff);
}

/*
 * One recvmsg(2) into native memory, for a TPROXY datagram listener driven by Netty's epoll loop (which only
 * reads IPv4's IP_ORIGDSTADDR). meta[0..19): sender, meta[19..38): original destination (length byte 0 when
 * the kernel sent none), meta[38]: 1 when the datagram was longer than capacity (MSG_TRUNC).
 * Returns the bytes stored, or -errno (-EAGAIN when nothing is queued).
 */
#define RECV_META 40
static jint mpgw_recv_orig_dst(JNIEnv *env, jclass clazz, jint fd, jlong address, jint capacity,
                               jbyteArray meta) {
    (void) clazz;
    struct sockaddr_storage from, orig;
    char control[CMSG_SPACE(sizeof(struct sockaddr_in6)) + CMSG_SPACE(sizeof(struct sockaddr_in))];
    struct iovec iov = { .iov_base = (void *) (intptr_t) address, .iov_len = (size_t) capacity };
    struct msghdr msg;
    memset(&msg, 0, sizeof(msg));
    memset(&from, 0, sizeof(from));
    memset(&orig, 0, sizeof(orig));
    msg.msg_name = &from;
    msg.msg_namelen = sizeof(from);
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof(control);
    ssize_t n;
    do {
        n = recvmsg(fd, &msg, 0);
    } while (n < 0 && errno == EINTR);
    if (n < 0) return neg_errno();
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level == SOL_IP && c->cmsg_type == IP_ORIGDSTADDR) {
            memcpy(&orig, CMSG_DATA(c), sizeof(struct sockaddr_in));
        } else if (c->cmsg_level == SOL_IPV6 && c->cmsg_type == IPV6_ORIGDSTADDR) {
            memcpy(&orig, CMSG_DATA(c), sizeof(struct sockaddr_in6));
        }
    }
    jbyte out[RECV_META];
    put_endpoint(out, &from);
    put_endpoint(out + 19, &orig);
    out[38] = (msg.msg_flags & MSG_TRUNC) ? 1 : 0;
    out[39] = 0;
    (*env)->SetByteArrayRegion(env, meta, 0, RECV_META, out);
    return (jint) n;
}

/* Moves the calling thread (only it) into the network namespace at path, e.g. /var/run/netns/NAME. */
static jint mpgw_enter_netns(JNIEnv *env, jclass clazz, jstring path) {
    (void) clazz;
    const char *p = (*env)->GetStringUTFChars(env, path, NULL);
    if (p == NULL) return -ENOMEM;
    int fd = open(p, O_RDONLY | O_CLOEXEC);
    (*env)->ReleaseStringUTFChars(env, path, p);
    if (fd < 0) return neg_errno();
    int rc = setns(fd, CLONE_NEWNET) < 0 ? neg_errno() : 0;
    close(fd);
    return rc;
}

static jstring mpgw_errno_name(JNIEnv *env, jclass clazz, jint err) {
    (void) clazz;
    const char *name = strerrorname_np(err);
    char buf[160];
    snprintf(buf, sizeof(buf), "%s (%s)", name ? name : "E?", strerror(err));
    return (*env)->NewStringUTF(env, buf);
}

static jint mpgw_abi_version(JNIEnv *env, jclass clazz) {
    (void) env; (void) clazz;
    return 1;
}

static const JNINativeMethod METHODS[] = {
    {"abiVersion", "()I", (void *) mpgw_abi_version},
    {"socketStream", "(ZZ)I", (void *) mpgw_socket_stream},
    {"setMark", "(II)I", (void *) mpgw_set_mark},
    {"getMark", "(I)I", (void *) mpgw_get_mark},
    {"bindToDevice", "(ILjava/lang/String;)I", (void *) mpgw_bind_to_device},
    {"getProtocol", "(I)I", (void *) mpgw_get_protocol},
    {"originalDestination", "(IZ[B)I", (void *) mpgw_original_dst},
    {"mptcpInfo", "(IZ[B)I", (void *) mpgw_mptcp_info},
    {"setIpv6Transparent", "(IZ)I", (void *) mpgw_set_ipv6_transparent},
    {"setIpv6RecvOrigDstAddr", "(IZ)I", (void *) mpgw_set_ipv6_recv_orig_dst},
    {"setTransparentReceiver", "(IZI)I", (void *) mpgw_set_transparent_receiver},
    {"recvOrigDst", "(IJI[B)I", (void *) mpgw_recv_orig_dst},
    {"enterNetns", "(Ljava/lang/String;)I", (void *) mpgw_enter_netns},
    {"errnoName", "(I)Ljava/lang/String;", (void *) mpgw_errno_name},
};

EXPORT jint JNI_OnLoad(JavaVM *vm, void *reserved) {
    (void) reserved;
    JNIEnv *env;
    if ((*vm)->GetEnv(vm, (void **) &env, JNI_VERSION_1_8) != JNI_OK) return JNI_ERR;
    jclass clazz = (*env)->FindClass(env, "mpgw/jni/Native");
    if (clazz == NULL) return JNI_ERR;
    if ((*env)->RegisterNatives(env, clazz, METHODS, sizeof(METHODS) / sizeof(METHODS[0])) != 0) return JNI_ERR;
    return JNI_VERSION_1_8;
}
