/*
 * delayline: forwards Ethernet frames between two interfaces of one network namespace, holding each frame for
 * a fixed one-way delay per direction. It gives the namespace testbed (bin/testbed.sh up --delay) links with a
 * real round-trip time on a kernel that has no netem qdisc.
 *
 *   usage: delayline [-q KIB] IF_A IF_B MS_A_TO_B [MS_B_TO_A]
 *
 * Design, and why:
 * - AF_PACKET raw sockets, one per interface, with PACKET_VNET_HDR: the veth peers hand over TSO/GSO super-
 *   frames (up to 64 KiB) whose checksums are only partial (CHECKSUM_PARTIAL). The virtio-net header carries
 *   the GSO and checksum metadata from the receive side to the send side, so the frame leaves exactly as the
 *   sender's stack built it, without ethtool (not installed) turning offloads off on the routers.
 * - PACKET_IGNORE_OUTGOING plus a check of sll_pkttype: a packet socket also sees its own transmissions on
 *   the interface, and forwarding them back would loop.
 * - One FIFO per direction: with a constant delay the due times are in arrival order, so the head is always
 *   the next frame to send. The FIFO is a byte ring bounded by -q (default 4096 KiB per direction, i.e.
 *   3 Gbit/s at 10 ms); a frame that does not fit is dropped and counted, like a full router queue.
 * - epoll over both sockets, a signalfd (SIGTERM/SIGINT end it cleanly) and one absolute CLOCK_MONOTONIC
 *   timerfd armed for the earliest head: microsecond timing without busy waiting.
 * - An interface taken down (testbed.sh link down) makes its socket report ENETDOWN once; the kernel re-binds
 *   the socket when the interface comes back, so the line just carries on. Frames due meanwhile are dropped.
 * Exit status: 0 after SIGTERM/SIGINT, 2 on bad arguments, 1 on a missing interface or a system error.
 * Counters (forwarded, dropped) are printed on stderr at exit and on SIGUSR1.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <linux/virtio_net.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23
#endif

#define VNET_LEN ((int)sizeof(struct virtio_net_hdr))
#define MAX_FRAME (VNET_LEN + 65536 + 64) /* a GSO frame of 64 KiB plus link headers */

/* One queued frame in a ring: header, then len bytes (virtio-net header + Ethernet frame). */
struct entry {
    uint64_t due_ns;
    uint32_t len;
    uint32_t pad;
};

struct ring {
    unsigned char *buf;
    size_t cap, head, tail; /* byte offsets; tail < head means the writer has wrapped to the start */
    size_t frames;
};

struct direction {
    const char *from_name, *to_name;
    int from_fd, to_fd;
    uint64_t delay_ns;
    struct ring q;
    unsigned long long forwarded, dropped_full, dropped_send, dropped_trunc, dropped_rcvbuf;
};

static void die_usage(const char *msg) {
    fprintf(stderr, "delayline: %s\n"
                    "usage: delayline [-q KIB] IF_A IF_B MS_A_TO_B [MS_B_TO_A]\n"
                    "  forwards Ethernet frames between IF_A and IF_B (same namespace), delayed by MS\n"
                    "  milliseconds per direction (MS_B_TO_A defaults to MS_A_TO_B; fractions allowed);\n"
                    "  -q KIB  queue per direction in KiB (default 4096); frames beyond it are dropped\n",
            msg);
    exit(2);
}

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int parse_ms(const char *s, uint64_t *ns) {
    char *end;
    errno = 0;
    double ms = strtod(s, &end);
    if (errno || end == s || *end || ms < 0 || ms > 10000) {
        return -1;
    }
    *ns = (uint64_t)(ms * 1e6 + 0.5);
    return 0;
}

static int open_iface(const char *name) {
    unsigned idx = if_nametoindex(name);
    if (!idx) {
        fprintf(stderr, "delayline: no interface '%s' in this network namespace\n", name);
        exit(1);
    }
    int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(ETH_P_ALL));
    if (fd < 0) {
        perror("delayline: socket(AF_PACKET) (needs CAP_NET_RAW)");
        exit(1);
    }
    int one = 1;
    if (setsockopt(fd, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof one) < 0) {
        perror("delayline: PACKET_VNET_HDR");
        exit(1);
    }
    /* Older kernels lack it; the sll_pkttype check below covers them. */
    setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one);
    int buf = 4 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof buf);
    setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &buf, sizeof buf);
    struct sockaddr_ll sll = {.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL), .sll_ifindex = (int)idx};
    if (bind(fd, (struct sockaddr *)&sll, sizeof sll) < 0) {
        fprintf(stderr, "delayline: bind to '%s': %s\n", name, strerror(errno));
        exit(1);
    }
    /* The frames are addressed to the router on the far side, not to this interface. */
    struct packet_mreq mr = {.mr_ifindex = (int)idx, .mr_type = PACKET_MR_PROMISC};
    if (setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof mr) < 0) {
        fprintf(stderr, "delayline: promiscuous mode on '%s': %s\n", name, strerror(errno));
        exit(1);
    }
    return fd;
}

static size_t align8(size_t n) { return (n + 7) & ~(size_t)7; }

#define WRAP UINT32_MAX /* an entry length that says: the next entry is at offset 0 */

/* Room for an entry of n bytes at the tail, or NULL when the ring is full. An entry is never split: when it
 * does not fit before the end of the buffer, the writer leaves a WRAP mark (if there is room for one; the
 * reader wraps anyway when there is not) and continues at offset 0. tail never catches up with head while
 * frames are queued, so head == tail means empty. */
static struct entry *ring_reserve(struct ring *q, size_t n) {
    size_t need = align8(sizeof(struct entry) + n);
    if (q->frames == 0) {
        q->head = q->tail = 0;
    }
    if (q->tail >= q->head) {
        if (q->tail + need <= q->cap) {
            return (struct entry *)(q->buf + q->tail);
        }
        if (need >= q->head) {
            return NULL;
        }
        if (q->cap - q->tail >= sizeof(struct entry)) {
            ((struct entry *)(q->buf + q->tail))->len = WRAP;
        }
        q->tail = 0;
        return (struct entry *)q->buf;
    }
    return q->tail + need < q->head ? (struct entry *)(q->buf + q->tail) : NULL;
}

static void ring_commit(struct ring *q, size_t n) {
    q->tail += align8(sizeof(struct entry) + n);
    q->frames++;
}

static struct entry *ring_head(struct ring *q) {
    if (q->frames == 0) {
        return NULL;
    }
    if (q->head + sizeof(struct entry) > q->cap || ((struct entry *)(q->buf + q->head))->len == WRAP) {
        q->head = 0;
    }
    return (struct entry *)(q->buf + q->head);
}

static void ring_pop(struct ring *q) {
    q->head += align8(sizeof(struct entry) + ((struct entry *)(q->buf + q->head))->len);
    q->frames--;
}

/* Reads every frame waiting on d->from_fd into d's queue. */
static void receive(struct direction *d, unsigned char *scratch) {
    for (int burst = 0; burst < 256; burst++) {
        struct sockaddr_ll from;
        socklen_t fromlen = sizeof from;
        ssize_t n = recvfrom(d->from_fd, scratch, MAX_FRAME, MSG_TRUNC, (struct sockaddr *)&from, &fromlen);
        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR) {
                return;
            }
            if (errno == ENETDOWN) {
                continue; /* reported once when the interface went down; the socket stays usable */
            }
            fprintf(stderr, "delayline: receive on %s: %s\n", d->from_name, strerror(errno));
            return;
        }
        if (from.sll_pkttype == PACKET_OUTGOING) {
            continue;
        }
        if (n > MAX_FRAME) {
            d->dropped_trunc++;
            continue;
        }
        struct entry *e = ring_reserve(&d->q, (size_t)n);
        if (!e) {
            d->dropped_full++;
            continue;
        }
        e->due_ns = now_ns() + d->delay_ns;
        e->len = (uint32_t)n;
        memcpy(e + 1, scratch, (size_t)n);
        ring_commit(&d->q, (size_t)n);
    }
}

/* Sends every frame of d whose time has come; returns the due time of the next one, or 0. */
static uint64_t send_due(struct direction *d, uint64_t now) {
    struct entry *e;
    while ((e = ring_head(&d->q)) != NULL) {
        if (e->due_ns > now) {
            return e->due_ns;
        }
        if (send(d->to_fd, e + 1, e->len, 0) < 0) {
            /* ENETDOWN (link down), ENOBUFS (the peer's backlog is full): lost on the wire, as on a link */
            d->dropped_send++;
        } else {
            d->forwarded++;
        }
        ring_pop(&d->q);
    }
    return 0;
}

static void report(struct direction *dirs) {
    for (int i = 0; i < 2; i++) {
        struct direction *d = &dirs[i];
        /* Frames the kernel dropped because this process did not read the socket fast enough; reading the
         * statistics resets them, so they are summed here. */
        struct tpacket_stats st;
        socklen_t len = sizeof st;
        if (getsockopt(d->from_fd, SOL_PACKET, PACKET_STATISTICS, &st, &len) == 0) {
            d->dropped_rcvbuf += st.tp_drops;
        }
        fprintf(stderr, "delayline: %s -> %s: %.3f ms, forwarded %llu, dropped %llu (queue full %llu, send "
                        "failed %llu, oversized %llu, not read in time %llu)\n",
                d->from_name, d->to_name, d->delay_ns / 1e6, d->forwarded,
                d->dropped_full + d->dropped_send + d->dropped_trunc + d->dropped_rcvbuf, d->dropped_full,
                d->dropped_send, d->dropped_trunc, d->dropped_rcvbuf);
    }
}

int main(int argc, char **argv) {
    long queue_kib = 4096;
    int opt;
    while ((opt = getopt(argc, argv, "q:h")) != -1) {
        if (opt == 'q') {
            char *end;
            queue_kib = strtol(optarg, &end, 10);
            if (*end || queue_kib < 128 || queue_kib > 1 << 20) {
                die_usage("-q must be a number of KiB, 128 to 1048576");
            }
        } else {
            die_usage(opt == 'h' ? "forwards frames with a delay" : "unknown option");
        }
    }
    int rest = argc - optind;
    if (rest < 3 || rest > 4) {
        die_usage("expected IF_A IF_B MS_A_TO_B [MS_B_TO_A]");
    }
    const char *a = argv[optind], *b = argv[optind + 1];
    if (strcmp(a, b) == 0) {
        die_usage("IF_A and IF_B must differ");
    }
    uint64_t ab, ba;
    if (parse_ms(argv[optind + 2], &ab) < 0 || parse_ms(argv[optind + (rest == 4 ? 3 : 2)], &ba) < 0) {
        die_usage("a delay must be a number of milliseconds, 0 to 10000");
    }

    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGUSR1);
    sigprocmask(SIG_BLOCK, &sigs, NULL);
    int sfd = signalfd(-1, &sigs, SFD_NONBLOCK | SFD_CLOEXEC);

    int fa = open_iface(a), fb = open_iface(b);
    struct direction dirs[2] = {
        {.from_name = a, .to_name = b, .from_fd = fa, .to_fd = fb, .delay_ns = ab},
        {.from_name = b, .to_name = a, .from_fd = fb, .to_fd = fa, .delay_ns = ba},
    };
    for (int i = 0; i < 2; i++) {
        dirs[i].q.cap = (size_t)queue_kib * 1024;
        dirs[i].q.buf = malloc(dirs[i].q.cap);
        if (!dirs[i].q.buf) {
            fprintf(stderr, "delayline: out of memory for a %ld KiB queue\n", queue_kib);
            return 1;
        }
    }
    unsigned char *scratch = malloc(MAX_FRAME);
    int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (sfd < 0 || tfd < 0 || ep < 0 || !scratch) {
        perror("delayline: setup");
        return 1;
    }
    int fds[] = {fa, fb, tfd, sfd};
    for (int i = 0; i < 4; i++) {
        struct epoll_event ev = {.events = EPOLLIN, .data.fd = fds[i]};
        if (epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev) < 0) {
            perror("delayline: epoll_ctl");
            return 1;
        }
    }
    fprintf(stderr, "delayline: %s <-> %s, %.3f ms / %.3f ms, queue %ld KiB per direction\n", a, b, ab / 1e6,
            ba / 1e6, queue_kib);

    uint64_t armed = 0;
    for (;;) {
        struct epoll_event evs[4];
        int n = epoll_wait(ep, evs, 4, -1);
        if (n < 0 && errno != EINTR) {
            perror("delayline: epoll_wait");
            return 1;
        }
        for (int i = 0; i < n; i++) {
            int fd = evs[i].data.fd;
            if (fd == sfd) {
                struct signalfd_siginfo si;
                while (read(sfd, &si, sizeof si) == (ssize_t)sizeof si) {
                    report(dirs);
                    if (si.ssi_signo != SIGUSR1) {
                        return 0;
                    }
                }
            } else if (fd == tfd) {
                uint64_t ticks;
                if (read(tfd, &ticks, sizeof ticks) < 0 && errno != EAGAIN) {
                    perror("delayline: timerfd");
                }
                armed = 0;
            } else {
                receive(fd == fa ? &dirs[0] : &dirs[1], scratch);
            }
        }
        uint64_t now = now_ns(), next = 0;
        for (int i = 0; i < 2; i++) {
            uint64_t due = send_due(&dirs[i], now);
            if (due && (!next || due < next)) {
                next = due;
            }
        }
        if (next && next != armed) {
            struct itimerspec its = {.it_value = {.tv_sec = (time_t)(next / 1000000000ull),
                                                  .tv_nsec = (long)(next % 1000000000ull)}};
            timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, NULL);
            armed = next;
        }
    }
}
