#!/usr/bin/env python3
"""Measuring and parsing helpers for bin/bench.sh. Each subcommand prints one result line (or JSON).

The shell script owns the testbed and the daemons; this file owns the arithmetic, so the numbers in
docs/BENCHMARKS.md come from one place.
"""
import argparse
import asyncio
import json
import os
import re
import resource
import selectors
import socket
import statistics
import sys
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def iperf(args):
    """Throughput (Mbit/s) and bytes received of an iperf3 -J result."""
    with open(args.file) as f:
        data = json.load(f)
    if "error" in data:
        print(f"error {data['error']}")
        sys.exit(1)
    end = data["end"]
    recv = end.get("sum_received") or end["sum"]
    print(f"{recv['bits_per_second'] / 1e6:.1f} {int(recv['bytes'])}")


def stall(args):
    """Failover figures from an iperf3 -J --get-server-output run with 0.1 s intervals.

    Uses the receiver's intervals (when the sender's socket buffer is full, the sender's own intervals show
    bursts and gaps that never reach the wire). The stall is the longest run of consecutive intervals, within
    5 s after the link went down, in which the receiver got less than a tenth of its median rate before."""
    with open(args.file) as f:
        data = json.load(f)
    source = data.get("server_output_json") or data
    intervals = [(i["sum"]["start"], i["sum"]["end"], i["sum"]["bits_per_second"]) for i in source["intervals"]]
    before = [bps for s, e, bps in intervals if e <= args.down_at and s >= 1.0]
    base = statistics.median(before) if before else 0
    longest = run = 0.0
    for s, e, bps in intervals:
        if e <= args.down_at or s > args.down_at + 5:
            continue
        if bps < base / 10:
            run += e - max(s, args.down_at)
            longest = max(longest, run)
        else:
            run = 0.0
    total_bytes = int(data["end"]["sum_received"]["bytes"])
    print(f"{longest:.1f} {base / 1e6:.1f} {total_bytes}")


def wrk(args):
    """Requests/s, latency p50/p99 (ms) and the request count from wrk --latency output."""
    text = open(args.file).read()
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    errors = re.search(r"Socket errors: (.*)", text)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)

    def pct(p):
        m = re.search(rf"^\s+{p}%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
        v, unit = float(m.group(1)), m.group(2)
        return v / 1000 if unit == "us" else v * 1000 if unit == "s" else v

    requests = int(re.search(r"(\d+) requests in", text).group(1))
    err = errors.group(1).strip() if errors else "none"
    # "connect 0, read 12, write 0, timeout 3": their sum is the socket errors the table shows beside flows/s.
    socket_errors = sum(int(n) for n in re.findall(r"\d+", errors.group(1))) if errors else 0
    print(f"{rps:.0f} {pct(50):.2f} {pct(99):.2f} {requests} "
          f"errors={err.replace(' ', '')},non2xx={non2xx.group(1) if non2xx else 0} {socket_errors}")


def ns_pids(ns_list, exclude):
    pids = []
    for ns in ns_list:
        out = os.popen(f"ip netns pids {ns} 2>/dev/null").read().split()
        for pid in out:
            try:
                comm = open(f"/proc/{pid}/comm").read().strip()
            except OSError:
                continue
            if comm not in exclude:
                pids.append((int(pid), comm))
    return pids


def cpu(args):
    """CPU seconds of every process in the namespaces, except the excluded commands: user + system, or with
    --split "user system" (system time includes the kernel's network work done in the process's context)."""
    user = system = 0
    for pid, _ in ns_pids(args.ns, set(args.exclude)):
        try:
            fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
            user += int(fields[11])
            system += int(fields[12])
        except OSError:
            pass
    if args.split:
        print(f"{user / CLK_TCK:.2f} {system / CLK_TCK:.2f}")
    else:
        print(f"{(user + system) / CLK_TCK:.2f}")


def rss(args):
    """Resident set size (MiB) of every process in the namespaces, except the excluded commands."""
    total = 0
    names = set()
    for pid, comm in ns_pids(args.ns, set(args.exclude)):
        try:
            total += int(open(f"/proc/{pid}/statm").read().split()[1]) * PAGE
            names.add(comm)
        except OSError:
            pass
    print(f"{total / 2**20:.1f} {','.join(sorted(names)) or '-'}")


def raise_nofile():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def hold_server(args):
    """Accepts connections and keeps them open, reading and discarding, until killed or --seconds pass."""
    raise_nofile()

    async def handle(reader, writer):
        try:
            while await reader.read(4096):
                pass
        finally:
            writer.close()

    async def main():
        server = await asyncio.start_server(handle, args.host, args.port, backlog=4096)
        async with server:
            await asyncio.sleep(args.seconds)

    asyncio.run(main())


def hold_client(args):
    """Opens N connections (bounded concurrency), each sends one byte, keeps them open for --hold seconds.

    Prints 'open N' once all are up (or the count reached when --timeout expires), then waits."""
    raise_nofile()

    async def main():
        sem = asyncio.Semaphore(args.parallel)
        conns = []
        failures = 0

        async def one():
            nonlocal failures
            async with sem:
                try:
                    r, w = await asyncio.wait_for(asyncio.open_connection(args.host, args.port), 10)
                    w.write(b"x")
                    await w.drain()
                    conns.append(w)
                except (OSError, asyncio.TimeoutError):
                    failures += 1

        try:
            await asyncio.wait_for(asyncio.gather(*(one() for _ in range(args.count))), args.timeout)
        except asyncio.TimeoutError:
            pass
        print(f"open {len(conns)} failed {failures}", flush=True)
        await asyncio.sleep(args.hold)
        for w in conns:
            w.close()

    asyncio.run(main())


LINE = re.compile(r"^(\d+\.\d+)\s+(\S+)\s+(In|Out)\s+IP6?\s+(\S+)\s+>\s+(\S+?):\s+Flags \[([^\]]*)\](.*)$")


def packets(path):
    """(time, interface, In/Out, src, dst, flags, payload length, is an MP_JOIN SYN) per captured packet."""
    out = []
    for line in open(path):
        m = LINE.match(line.strip())
        if not m:
            continue
        ts, ifname, direction, src, dst, flags, rest = m.groups()
        length = re.search(r"length (\d+)", rest)
        out.append((float(ts), ifname, direction, src, dst, flags, int(length.group(1)) if length else 0,
                    "join" in rest and "S" in flags))
    return out


def roundtrips(args):
    """Packets between the routers before the first payload byte reaches the destination, and how many
    times router A waited for router B on the way there.

    A wait is a run of router B's handshake packets (SYN-ACK or payload) followed by router A's next
    handshake packet (SYN or payload): A sent it after hearing from B. Only the flow's own connection counts
    (the one whose payload left router A last before the destination's first byte): connections opened
    meanwhile, such as pool refills, and B's answers that A did not need (a CONNECT reply after the data
    already left) are no waits. Pure ACKs and the extra MPTCP subflows (MP_JOIN) are not on that path and do
    not count as waits; they are counted in the packet total.
    --wan: capture on router A (tcpdump -i any -tt -n -l), --dst: capture on the destination."""
    dst = [p for p in packets(args.dst) if p[2] == "In" and p[6] > 0]
    if not dst:
        print("- - no-payload-at-destination")
        return
    first_payload = dst[0][0]
    wan = [p for p in packets(args.wan) if p[1].startswith("wan") and p[0] < first_payload]
    joins = {(p[3], p[4]) for p in wan if p[7]}
    joins |= {(b, a) for a, b in joins}
    sent = [p for p in wan if p[2] == "Out" and p[6] > 0 and (p[3], p[4]) not in joins]
    flow = {(sent[-1][3], sent[-1][4]), (sent[-1][4], sent[-1][3])} if sent else set()
    waits = 0
    last = None
    for p in wan:
        if (p[3], p[4]) in joins or (p[3], p[4]) not in flow:
            continue
        significant = "S" in p[5] or p[6] > 0
        if not significant:
            continue
        if p[2] == "Out" and last == "In":
            waits += 1
        last = p[2]
    print(f"{len(wan)} {waits}")


def is_number(v):
    try:
        float(v)
        return True
    except ValueError:
        return False


def median(args):
    """The median of the runs that produced a number; the runs that did not ("-", an error) are counted in the
    cell, never dropped silently: "2410 (1 of 3 runs failed)"."""
    vals = [float(v) for v in args.values if is_number(v)]
    failed = len(args.values) - len(vals)
    cell = f"{statistics.median(vals):.{args.digits}f}" if vals else "-"
    if failed:
        cell += f" ({failed} of {len(args.values)} run{'s' if len(args.values) > 1 else ''} failed)"
    print(cell)


def ratio(args):
    """Median of the per-round ratios a[i] / b[i] (runs of the same round, interleaved), rounds where either
    failed left out and counted."""
    a, b = args.a.split(), args.b.split()
    pairs = [(float(x), float(y)) for x, y in zip(a, b) if is_number(x) and is_number(y) and float(y) > 0]
    rounds = max(len(a), len(b))
    cell = f"{statistics.median(x / y for x, y in pairs):.2f}x" if pairs else "-"
    if len(pairs) < rounds:
        cell += f" ({rounds - len(pairs)} of {rounds} rounds failed)"
    print(cell)


def udp(args):
    """One iperf3 -u -J --get-server-output run: received Mbit/s, loss %, jitter ms, from the receiver's side.

    With --down-at, also the longest gap: the longest run of the receiver's 0.1 s intervals, from the link cut
    on (at most 8 s later: plain routing waits for the link to come back), in which it got less than a tenth of its median rate before the cut."""
    with open(args.file) as f:
        data = json.load(f)
    if "error" in data:
        print(f"error {data['error']}")
        sys.exit(1)
    server = data.get("server_output_json") or {}
    # iperf 3.12: end.sum_sent is the client's, end.sum_received the server's report. Loss is counted from
    # bytes sent and received (datagrams still in flight or dropped at the tail count as lost), not from
    # iperf's sequence-number gaps, which miss a lost tail.
    sent, received = data["end"]["sum_sent"], data["end"]["sum_received"]
    loss = 100.0 * (1 - received["bytes"] / sent["bytes"]) if sent["bytes"] else 100.0
    jitter = received.get("jitter_ms", 0.0)
    gap = "-"
    if args.down_at is not None:
        intervals = [(i["sum"]["start"], i["sum"]["end"], i["sum"]["bits_per_second"])
                     for i in server.get("intervals", [])]
        before = [bps for s, e, bps in intervals if e <= args.down_at and s >= 1.0]
        base = statistics.median(before) if before else 0
        longest = run = 0.0
        for s, e, bps in intervals:
            if e <= args.down_at or s > args.down_at + 8:
                continue
            if bps < base / 10:
                run += e - max(s, args.down_at)
                longest = max(longest, run)
            else:
                run = 0.0
        gap = f"{longest:.1f}"
    print(f"{received['bits_per_second'] / 1e6:.1f} {max(loss, 0.0):.2f} {jitter:.2f} {gap}")


def udpcell(args):
    """A table cell of UDP runs: median received Mbit/s, loss %, jitter ms (and the longest gap at a cut), with
    the failed runs counted: "35.9 Mbit/s, 0.12 % loss, 0.84 ms jitter (1 of 3 runs failed)"."""
    def med(values, digits):
        vals = [float(v) for v in values.split() if is_number(v)]
        return f"{statistics.median(vals):.{digits}f}" if vals else "-"
    runs = args.mbit.split()
    failed = sum(1 for v in runs if not is_number(v))
    cell = f"{med(args.mbit, 1)} Mbit/s, {med(args.loss, 2)} % loss"
    cell += f", longest gap {med(args.gap, 1)} s" if args.gap is not None else f", {med(args.jitter, 2)} ms jitter"
    if failed:
        cell += f" ({failed} of {len(runs)} run{'s' if len(runs) > 1 else ''} failed)"
    print(cell)


def dns_query(qid, name):
    """A DNS query for NAME's A record, recursion desired, with id QID."""
    q = qid.to_bytes(2, "big") + b"\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"
    for label in name.split("."):
        q += bytes([len(label)]) + label.encode()
    return q + b"\x00\x00\x01\x00\x01"


def dnsburst(args):
    """Bursts of lookups as a page load makes them: --count queries from as many new client sockets (a new
    source port each, so each is a new UDP session of the gateway), sent back to back by this one process, then
    every answer awaited (--timeout s). --warm-up rounds are not counted; --rounds are, --pause s apart (the pool
    refills). Prints each counted lookup's time from its own send to its answer in ms (0.1 ms steps), "-" for
    none, on one line. One process, no fork per query: 50 digs started at once load the machine more than the
    lookups do."""
    values = []
    for r in range(args.warm_up + args.rounds):
        socks, sent, answers = [], {}, {}
        sel = selectors.DefaultSelector()
        try:
            for i in range(args.count):
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                s.setblocking(False)
                socks.append(s)
            for i, s in enumerate(socks):
                s.sendto(dns_query(i, f"b{r}-{i}.{args.name}"), (args.server, args.port))
                sent[s] = (i, time.monotonic_ns())
                sel.register(s, selectors.EVENT_READ)
            deadline = time.monotonic() + args.timeout
            while len(answers) < len(socks) and time.monotonic() < deadline:
                for key, _ in sel.select(timeout=max(0.0, deadline - time.monotonic())):
                    now = time.monotonic_ns()
                    data = key.fileobj.recv(4096)
                    i, t0 = sent[key.fileobj]
                    if len(data) >= 2 and int.from_bytes(data[:2], "big") == i:
                        answers[i] = (now - t0) / 1e6
                        sel.unregister(key.fileobj)
        finally:
            sel.close()
            for s in socks:
                s.close()
        if r >= args.warm_up:
            values += [f"{answers[i]:.1f}" if i in answers else "-" for i in range(args.count)]
        if r + 1 < args.warm_up + args.rounds:
            time.sleep(args.pause)
    print(" ".join(values))


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("iperf"); s.add_argument("file"); s.set_defaults(fn=iperf)
    s = sub.add_parser("stall"); s.add_argument("file"); s.add_argument("--down-at", type=float, required=True)
    s.set_defaults(fn=stall)
    s = sub.add_parser("wrk"); s.add_argument("file"); s.set_defaults(fn=wrk)
    for name, fn in (("cpu", cpu), ("rss", rss)):
        s = sub.add_parser(name); s.add_argument("--ns", action="append", required=True)
        s.add_argument("--exclude", action="append", default=[]); s.set_defaults(fn=fn)
        if name == "cpu":
            s.add_argument("--split", action="store_true")
    s = sub.add_parser("hold-server"); s.add_argument("--host", default="0.0.0.0")
    s.add_argument("--port", type=int, required=True); s.add_argument("--seconds", type=float, default=600)
    s.set_defaults(fn=hold_server)
    s = sub.add_parser("hold-client"); s.add_argument("--host", required=True)
    s.add_argument("--port", type=int, required=True); s.add_argument("--count", type=int, required=True)
    s.add_argument("--parallel", type=int, default=200); s.add_argument("--timeout", type=float, default=120)
    s.add_argument("--hold", type=float, default=600); s.set_defaults(fn=hold_client)
    s = sub.add_parser("roundtrips"); s.add_argument("--wan", required=True); s.add_argument("--dst", required=True)
    s.set_defaults(fn=roundtrips)
    s = sub.add_parser("median"); s.add_argument("values", nargs="*"); s.add_argument("--digits", type=int, default=1)
    s.set_defaults(fn=median)
    s = sub.add_parser("ratio"); s.add_argument("a"); s.add_argument("b"); s.set_defaults(fn=ratio)
    s = sub.add_parser("udp"); s.add_argument("file"); s.add_argument("--down-at", type=float)
    s.set_defaults(fn=udp)
    s = sub.add_parser("udpcell"); s.add_argument("mbit"); s.add_argument("loss"); s.add_argument("jitter")
    s.add_argument("--gap"); s.set_defaults(fn=udpcell)
    s = sub.add_parser("dnsburst"); s.add_argument("--server", required=True)
    s.add_argument("--port", type=int, default=53); s.add_argument("--name", required=True)
    s.add_argument("--count", type=int, default=50); s.add_argument("--rounds", type=int, default=5)
    s.add_argument("--warm-up", type=int, default=3); s.add_argument("--pause", type=float, default=2.0)
    s.add_argument("--timeout", type=float, default=3.0); s.set_defaults(fn=dnsburst)
    args = p.parse_args()
    args.fn(args)


if __name__ == "__main__":
    main()
