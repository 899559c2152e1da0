/*
 * soakload: the load generator and echo service of `mpgw soak` (bin/soak.sh). One process, one thread, epoll;
 * every mode is bounded in count and time and ends by itself, printing one summary line of key=value pairs.
 *
 *   soakload echo  --port P --seconds S           TCP and UDP echo on 0.0.0.0:P (the destination)
 *   soakload hold  --dst IP:P --flows N --rate R --seconds S [--ping-ms MS]
 *        opens N flows at R per second (bursts of R every second), keeps them all open for S seconds in all,
 *        each sends 8 bytes as soon as it is open and then every MS ms (default 10000; the first interval a random
 *        part of MS, so the flows' pings spread evenly), and expects them back; then closes them.
 *        Summary: opened, open_failed, died (a flow that ended or reset before the end: must be 0 in a clean run),
 *        died_reset, died_eof, stalled (an echo later than 30 s), echoes, max_echo_ms.
 *   soakload churn --dst IP:P --rate R --seconds S [--inflight N]
 *        R new flows per second (in bursts each 100 ms), each: connect, 16 bytes out, 16 back, close.
 *        Summary: started, ok, failed, refused, reset, timeout, skipped, max_ms. At most N (default and most 4096)
 *        in flight: a flow due while N are is skipped (the peer is slower than R/s), so the descriptors a burst
 *        costs stay bounded; a flow older than 10 s is a timeout.
 *   soakload udp   --dst IP:P --sessions N --seconds S
 *        N UDP sockets (N sessions), each sends one 32-byte datagram a second and counts the echoes.
 *        Summary: sessions, sent, received.
 *
 * --status FILE: the summary line is also rewritten there every second while it runs (hold: the current counts),
 * so the harness can watch a run. Bad arguments exit 2. RLIMIT_NOFILE is raised to its hard limit.
 * Built by bin/soak.sh with gcc into /run/mpgw-soak/bin, like bench/delayline.c.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_EVENTS 512
#define CHURN_TIMEOUT_MS 10000
#define STALL_MS 30000
#define CHURN_INFLIGHT 4096

static volatile sig_atomic_t stop;
static const char *status_path;

static void on_signal(int sig) { (void)sig; stop = 1; }

static int64_t now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void die_usage(const char *msg) {
    fprintf(stderr, "soakload: %s (see the comment at the top of bench/soakload.c)\n", msg);
    exit(2);
}

static void report(const char *line) {
    if (status_path) {
        char tmp[4096];
        snprintf(tmp, sizeof tmp, "%s.tmp", status_path);
        FILE *f = fopen(tmp, "w");
        if (f) {
            fprintf(f, "%s\n", line);
            fclose(f);
            rename(tmp, status_path);
        }
    }
}

static void raise_nofile(void) {
    struct rlimit r;
    if (getrlimit(RLIMIT_NOFILE, &r) == 0) {
        r.rlim_cur = r.rlim_max;
        setrlimit(RLIMIT_NOFILE, &r);
    }
}

static struct sockaddr_in parse_dst(const char *s) {
    struct sockaddr_in a = {.sin_family = AF_INET};
    char host[64];
    const char *colon = strrchr(s, ':');
    if (!colon || colon - s >= (long)sizeof host) die_usage("--dst must be IPv4:PORT");
    memcpy(host, s, colon - s);
    host[colon - s] = 0;
    if (inet_pton(AF_INET, host, &a.sin_addr) != 1) die_usage("--dst must be IPv4:PORT");
    a.sin_port = htons((uint16_t)atoi(colon + 1));
    return a;
}

static int tcp_connect(const struct sockaddr_in *dst) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, (const struct sockaddr *)dst, sizeof *dst) < 0 && errno != EINPROGRESS) {
        close(fd);
        return -1;
    }
    return fd;
}

/* ---- echo ------------------------------------------------------------------------------------------- */
static int run_echo(int port, int seconds) {
    int ep = epoll_create1(EPOLL_CLOEXEC);
    int one = 1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    int ufd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (bind(lfd, (struct sockaddr *)&a, sizeof a) < 0 || listen(lfd, 4096) < 0 ||
        bind(ufd, (struct sockaddr *)&a, sizeof a) < 0) {
        fprintf(stderr, "soakload echo: bind port %d: %s\n", port, strerror(errno));
        return 1;
    }
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = lfd};
    epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
    ev.data.fd = ufd;
    epoll_ctl(ep, EPOLL_CTL_ADD, ufd, &ev);
    long accepted = 0, datagrams = 0, open = 0;
    int64_t end = now_ms() + (int64_t)seconds * 1000;
    struct epoll_event evs[MAX_EVENTS];
    char buf[65536];
    while (!stop && now_ms() < end) {
        int n = epoll_wait(ep, evs, MAX_EVENTS, 1000);
        for (int i = 0; i < n; i++) {
            int fd = evs[i].data.fd;
            if (fd == lfd) {
                int c;
                while ((c = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
                    struct epoll_event cev = {.events = EPOLLIN | EPOLLRDHUP, .data.fd = c};
                    epoll_ctl(ep, EPOLL_CTL_ADD, c, &cev);
                    accepted++;
                    open++;
                }
            } else if (fd == ufd) {
                struct sockaddr_in from;
                socklen_t fl = sizeof from;
                ssize_t r;
                while ((r = recvfrom(ufd, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl)) > 0) {
                    sendto(ufd, buf, (size_t)r, 0, (struct sockaddr *)&from, fl);
                    datagrams++;
                    fl = sizeof from;
                }
            } else {
                ssize_t r = read(fd, buf, sizeof buf);
                if (r > 0) {
                    /* Small echoes: the socket buffer takes them whole; a short write would be a client flood. */
                    if (write(fd, buf, (size_t)r) != r) r = 0;
                }
                if (r <= 0 && !(r < 0 && errno == EAGAIN)) {
                    close(fd);
                    open--;
                }
            }
        }
    }
    printf("mode=echo accepted=%ld datagrams=%ld open_at_end=%ld\n", accepted, datagrams, open);
    return 0;
}

/* ---- hold ------------------------------------------------------------------------------------------- */
struct flow {
    int fd;
    int64_t next_ping;  /* when to send the next 8 bytes */
    int64_t sent_at;    /* 0: no echo outstanding */
    int got;            /* echo bytes received of the outstanding ping */
    int state;          /* 0 connecting, 1 open, 2 ended */
    int pinged;         /* the first ping was sent */
};

static int run_hold(struct sockaddr_in dst, int flows, int rate, int seconds, int ping_ms) {
    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct flow *f = calloc((size_t)flows, sizeof *f);
    long opened = 0, open_failed = 0, died = 0, died_reset = 0, died_eof = 0, stalled = 0, echoes = 0;
    int64_t max_echo = 0, start = now_ms(), end = start + (int64_t)seconds * 1000, last_status = 0;
    int next = 0;
    struct epoll_event evs[MAX_EVENTS];
    char line[512];
    while (!stop && now_ms() < end) {
        int64_t t = now_ms();
        /* bursts: by now (t - start) / 1000 + 1 seconds' worth of flows are due */
        long due = ((t - start) / 1000 + 1) * (long)rate;
        while (next < flows && next < due) {
            struct flow *x = &f[next];
            x->fd = tcp_connect(&dst);
            if (x->fd < 0) {
                open_failed++;
                x->state = 2;
            } else {
                struct epoll_event ev = {.events = EPOLLOUT | EPOLLIN | EPOLLRDHUP, .data.u32 = (uint32_t)next};
                epoll_ctl(ep, EPOLL_CTL_ADD, x->fd, &ev);
                x->next_ping = t; /* the first ping as soon as it is open (see below) */
                x->sent_at = t; /* the connect itself must finish within the stall bound */
            }
            next++;
        }
        int n = epoll_wait(ep, evs, MAX_EVENTS, 100);
        t = now_ms();
        for (int i = 0; i < n; i++) {
            struct flow *x = &f[evs[i].data.u32];
            if (x->state == 2) continue;
            if (x->state == 0) {
                int err = 0;
                socklen_t l = sizeof err;
                getsockopt(x->fd, SOL_SOCKET, SO_ERROR, &err, &l);
                if (err || (evs[i].events & (EPOLLERR | EPOLLHUP))) {
                    open_failed++;
                    epoll_ctl(ep, EPOLL_CTL_DEL, x->fd, NULL);
                    close(x->fd);
                    x->state = 2;
                    continue;
                }
                x->state = 1;
                x->sent_at = 0;
                opened++;
                /* A flow sends at once, like a real client's request: an MPTCP connection is fully established,
                 * and adds its other subflows, only with its first data. With the first ping 10-20 s after open,
                 * every held flow's joins (6,476 x 2) fell into the soak's first burst (docs/testing.md). */
                x->next_ping = t;
                struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.u32 = evs[i].data.u32};
                epoll_ctl(ep, EPOLL_CTL_MOD, x->fd, &ev);
                continue;
            }
            char buf[256];
            ssize_t r = read(x->fd, buf, sizeof buf);
            if (r > 0) {
                x->got += (int)r;
                if (x->got >= 8 && x->sent_at) {
                    int64_t ms = t - x->sent_at;
                    if (ms > max_echo) max_echo = ms;
                    echoes++;
                    x->sent_at = 0;
                    x->got = 0;
                }
            } else if (r == 0 || errno != EAGAIN) {
                died++;
                if (r < 0 && errno == ECONNRESET) died_reset++; else died_eof++;
                epoll_ctl(ep, EPOLL_CTL_DEL, x->fd, NULL);
                close(x->fd);
                x->state = 2;
            }
        }
        /* pings and stalls: a linear pass at most every 100 ms */
        for (int k = 0; k < next; k++) {
            struct flow *x = &f[k];
            if (x->state == 2) continue;
            if (x->sent_at && t - x->sent_at > STALL_MS) {
                stalled++;
                x->sent_at = t; /* counted once per 30 s */
            }
            if (x->state == 1 && !x->sent_at && t >= x->next_ping) {
                if (write(x->fd, "soakping", 8) == 8) x->sent_at = t;
                /* after the first ping a random part of the interval, then the interval: phases spread evenly */
                x->next_ping = t + (x->pinged ? ping_ms : 1 + rand() % ping_ms);
                x->pinged = 1;
            }
        }
        if (t - last_status >= 1000) {
            last_status = t;
            snprintf(line, sizeof line,
                     "mode=hold opened=%ld open_failed=%ld alive=%ld died=%ld died_reset=%ld died_eof=%ld"
                     " stalled=%ld echoes=%ld max_echo_ms=%ld",
                     opened, open_failed, opened - died, died, died_reset, died_eof, stalled, echoes, (long)max_echo);
            report(line);
        }
    }
    long alive = opened - died;
    for (int k = 0; k < next; k++) {
        if (f[k].state != 2) close(f[k].fd);
    }
    snprintf(line, sizeof line,
             "mode=hold opened=%ld open_failed=%ld alive=%ld died=%ld died_reset=%ld died_eof=%ld stalled=%ld"
             " echoes=%ld max_echo_ms=%ld",
             opened, open_failed, alive, died, died_reset, died_eof, stalled, echoes, (long)max_echo);
    report(line);
    printf("%s\n", line);
    free(f);
    return 0;
}

/* ---- churn ------------------------------------------------------------------------------------------ */
struct shot {
    int fd;
    int64_t started;
    int got;
    int connected;
};

static int run_churn(struct sockaddr_in dst, int rate, int seconds, int inflight_cap) {
    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct shot *s = calloc(CHURN_INFLIGHT, sizeof *s);
    int free_slots[CHURN_INFLIGHT], nfree = 0;
    for (int i = inflight_cap - 1; i >= 0; i--) free_slots[nfree++] = i;
    long started = 0, ok = 0, refused = 0, reset = 0, timeout = 0, other = 0, skipped = 0;
    int64_t max_ms = 0, start = now_ms(), end = start + (int64_t)seconds * 1000, last_status = 0;
    struct epoll_event evs[MAX_EVENTS];
    char line[512];
    while (!stop && now_ms() < end) {
        int64_t t = now_ms();
        long due = ((t - start) / 100 + 1) * (long)rate / 10; /* bursts every 100 ms */
        while (started + skipped < due) {
            if (nfree == 0) { skipped++; continue; }
            int slot = free_slots[--nfree];
            struct shot *x = &s[slot];
            x->fd = tcp_connect(&dst);
            started++;
            if (x->fd < 0) { other++; free_slots[nfree++] = slot; continue; }
            x->started = t;
            x->got = 0;
            x->connected = 0;
            struct epoll_event ev = {.events = EPOLLOUT | EPOLLIN | EPOLLRDHUP, .data.u32 = (uint32_t)slot};
            epoll_ctl(ep, EPOLL_CTL_ADD, x->fd, &ev);
        }
        int n = epoll_wait(ep, evs, MAX_EVENTS, 20);
        t = now_ms();
        for (int i = 0; i < n; i++) {
            int slot = (int)evs[i].data.u32;
            struct shot *x = &s[slot];
            if (x->fd < 0) continue;
            int done = 0;
            if (!x->connected) {
                int err = 0;
                socklen_t l = sizeof err;
                getsockopt(x->fd, SOL_SOCKET, SO_ERROR, &err, &l);
                if (err) {
                    if (err == ECONNREFUSED) refused++; else if (err == ECONNRESET) reset++; else other++;
                    done = 1;
                } else if (evs[i].events & EPOLLOUT) {
                    x->connected = 1;
                    if (write(x->fd, "soakchurn0123456", 16) != 16) { other++; done = 1; }
                    struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.u32 = (uint32_t)slot};
                    epoll_ctl(ep, EPOLL_CTL_MOD, x->fd, &ev);
                }
            } else {
                char buf[64];
                ssize_t r = read(x->fd, buf, sizeof buf);
                if (r > 0) {
                    x->got += (int)r;
                    if (x->got >= 16) {
                        ok++;
                        if (t - x->started > max_ms) max_ms = t - x->started;
                        done = 1;
                    }
                } else if (r == 0) {
                    other++;
                    done = 1;
                } else if (errno != EAGAIN) {
                    if (errno == ECONNRESET) reset++; else if (errno == ECONNREFUSED) refused++; else other++;
                    done = 1;
                }
            }
            if (done) {
                close(x->fd);
                x->fd = -1;
                free_slots[nfree++] = slot;
            }
        }
        for (int slot = 0; slot < CHURN_INFLIGHT; slot++) {
            struct shot *x = &s[slot];
            if (x->started && x->fd >= 0 && t - x->started > CHURN_TIMEOUT_MS) {
                timeout++;
                close(x->fd);
                x->fd = -1;
                x->started = 0;
                free_slots[nfree++] = slot;
            }
        }
        if (t - last_status >= 1000) {
            last_status = t;
            snprintf(line, sizeof line, "mode=churn started=%ld ok=%ld failed=%ld refused=%ld reset=%ld timeout=%ld"
                     " skipped=%ld max_ms=%ld", started, ok, refused + reset + timeout + other, refused, reset,
                     timeout, skipped, (long)max_ms);
            report(line);
        }
    }
    /* what is still in flight at the end is neither ok nor failed: wait for it up to 2 s more */
    long inflight = 0;
    for (int slot = 0; slot < CHURN_INFLIGHT; slot++) {
        if (s[slot].started && s[slot].fd >= 0) { close(s[slot].fd); inflight++; }
    }
    snprintf(line, sizeof line, "mode=churn started=%ld ok=%ld failed=%ld refused=%ld reset=%ld timeout=%ld"
             " skipped=%ld inflight=%ld max_ms=%ld", started, ok, refused + reset + timeout + other, refused, reset,
             timeout, skipped, inflight, (long)max_ms);
    report(line);
    printf("%s\n", line);
    free(s);
    return 0;
}

/* ---- udp -------------------------------------------------------------------------------------------- */
static int run_udp(struct sockaddr_in dst, int sessions, int seconds) {
    int ep = epoll_create1(EPOLL_CLOEXEC);
    int *fd = calloc((size_t)sessions, sizeof *fd);
    long sent = 0, received = 0, opened = 0;
    for (int i = 0; i < sessions; i++) {
        fd[i] = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd[i] < 0 || connect(fd[i], (struct sockaddr *)&dst, sizeof dst) < 0) {
            if (fd[i] >= 0) close(fd[i]);
            fd[i] = -1;
            continue;
        }
        opened++;
        struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
        epoll_ctl(ep, EPOLL_CTL_ADD, fd[i], &ev);
    }
    int64_t start = now_ms(), end = start + (int64_t)seconds * 1000, last_status = 0;
    long round = 0;
    struct epoll_event evs[MAX_EVENTS];
    char line[256], buf[2048];
    while (!stop && now_ms() < end) {
        int64_t t = now_ms();
        /* one datagram per session per second, spread over the second in 10 slices */
        long due = ((t - start) / 100 + 1);
        while (round < due) {
            int slice = (int)(round % 10);
            for (int i = slice; i < sessions; i += 10) {
                if (fd[i] >= 0 && send(fd[i], "soakudp-0123456789abcdef01234567", 32, 0) == 32) sent++;
            }
            round++;
        }
        int n = epoll_wait(ep, evs, MAX_EVENTS, 50);
        for (int i = 0; i < n; i++) {
            int k = (int)evs[i].data.u32;
            while (recv(fd[k], buf, sizeof buf, 0) > 0) received++;
        }
        if (t - last_status >= 1000) {
            last_status = t;
            snprintf(line, sizeof line, "mode=udp sessions=%ld sent=%ld received=%ld", opened, sent, received);
            report(line);
        }
    }
    /* the last second's echoes */
    int64_t drain = now_ms() + 1000;
    while (now_ms() < drain) {
        int n = epoll_wait(ep, evs, MAX_EVENTS, 100);
        for (int i = 0; i < n; i++) {
            int k = (int)evs[i].data.u32;
            while (recv(fd[k], buf, sizeof buf, 0) > 0) received++;
        }
    }
    for (int i = 0; i < sessions; i++) if (fd[i] >= 0) close(fd[i]);
    snprintf(line, sizeof line, "mode=udp sessions=%ld sent=%ld received=%ld", opened, sent, received);
    report(line);
    printf("%s\n", line);
    free(fd);
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 2) die_usage("a mode is needed: echo, hold, churn or udp");
    const char *mode = argv[1], *dst_s = NULL;
    int port = 0, flows = 0, rate = 0, seconds = 0, sessions = 0, ping_ms = 10000, inflight = CHURN_INFLIGHT;
    for (int i = 2; i < argc; i++) {
        if (i + 1 >= argc) die_usage("every option takes a value");
        const char *k = argv[i], *v = argv[++i];
        if (!strcmp(k, "--dst")) dst_s = v;
        else if (!strcmp(k, "--port")) port = atoi(v);
        else if (!strcmp(k, "--flows")) flows = atoi(v);
        else if (!strcmp(k, "--rate")) rate = atoi(v);
        else if (!strcmp(k, "--seconds")) seconds = atoi(v);
        else if (!strcmp(k, "--sessions")) sessions = atoi(v);
        else if (!strcmp(k, "--ping-ms")) ping_ms = atoi(v);
        else if (!strcmp(k, "--status")) status_path = v;
        else if (!strcmp(k, "--inflight")) inflight = atoi(v);
        else die_usage("unknown option");
    }
    if (seconds <= 0 || seconds > 86400) die_usage("--seconds must be 1..86400");
    raise_nofile();
    signal(SIGPIPE, SIG_IGN);
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (!strcmp(mode, "echo")) {
        if (port <= 0 || port > 65535) die_usage("--port must be 1..65535");
        return run_echo(port, seconds);
    }
    if (!dst_s) die_usage("--dst IP:PORT is needed");
    struct sockaddr_in dst = parse_dst(dst_s);
    if (!strcmp(mode, "hold")) {
        if (flows <= 0 || flows > 1000000 || rate <= 0 || ping_ms <= 0) die_usage("--flows, --rate, --ping-ms > 0");
        return run_hold(dst, flows, rate, seconds, ping_ms);
    }
    if (!strcmp(mode, "churn")) {
        if (rate <= 0 || rate > 100000) die_usage("--rate must be 1..100000");
        if (inflight <= 0 || inflight > CHURN_INFLIGHT) die_usage("--inflight must be 1..4096");
        return run_churn(dst, rate, seconds, inflight);
    }
    if (!strcmp(mode, "udp")) {
        if (sessions <= 0 || sessions > 65536) die_usage("--sessions must be 1..65536");
        return run_udp(dst, sessions, seconds);
    }
    die_usage("unknown mode");
    return 2;
}
