#!/usr/bin/env bash
# footprint.sh LABEL: idle footprint of both daemons with the JVM options in MPGW_MEMORY_OPTS / MPGW_JAVA_OPTS
# (docs/footprint.md). Starts a socks-server and a gateway through bin/mpgw in a private network namespace on
# loopback (no testbed, no traffic but two scrapes), and prints one line: time from start to listening, VmRSS
# 15 s after start (after one /status.json and one /metrics request each), the thread count and the loaded
# classes, per daemon.
# SCRAPE=0 skips the two requests: the figure of a daemon nobody looks at (what loads lazily stays unloaded).
# NMT=1 also keeps `jcmd VM.native_memory summary` and the largest mappings (smaps) per daemon (add
# -XX:NativeMemoryTracking=summary to MPGW_JAVA_OPTS). Needs root (ip netns); stops what it started, by PID.
set -euo pipefail
here=$(cd "$(dirname "$(readlink -f "$0")")" && pwd)
root=$(dirname "$here")
label=${1:?usage: footprint.sh LABEL}
ns=${FOOTPRINT_NS:-mpgwfp}
ip netns add "$ns"
ip -n "$ns" link set lo up
d=$(mktemp -d /tmp/mpgw-footprint.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]+"${pids[@]}"}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  ip netns del "$ns" 2>/dev/null || true; }
trap cleanup EXIT
cat >"$d/server.conf" <<C
server { listen = ["127.0.0.1:1080"], mptcp = preferred, metrics.listen = "127.0.0.1:9465" }
C
cat >"$d/gateway.conf" <<C
gateway { listen = ["127.0.0.1:12345"], servers = ["127.0.0.1:1080"], metrics.listen = "127.0.0.1:9464", udp.enabled = off }
C
# start NAME PORT ARGS...: sets ms (from exec to a listening PORT) and pid, and remembers the PID in pids.
start() {
  local name=$1 port=$2; shift 2
  local t0; t0=$(date +%s%N)
  ip netns exec "$ns" bash "$root/bin/mpgw" "$@" >"$d/$name.log" 2>&1 &
  pid=$!; pids+=($pid)
  for _ in $(seq 1500); do
    if ip netns exec "$ns" ss -Hltn "sport = :$port" | grep -q .; then
      ms=$(( ($(date +%s%N) - t0) / 1000000 )); return
    fi
    sleep 0.02
  done
  echo "footprint: $name never listened on $port; $d/$name.log" >&2; exit 1
}
start server 1080 server --config "$d/server.conf"; ts=$ms sp=$pid
start gateway 12345 gateway --config "$d/gateway.conf"; tg=$ms gp=$pid
sleep 12
if [ "${SCRAPE:-1}" != 0 ]; then
  for port in 9464 9465; do
    ip netns exec "$ns" curl -sf -o /dev/null "http://127.0.0.1:$port/status.json"
    ip netns exec "$ns" curl -sf -o /dev/null "http://127.0.0.1:$port/metrics"
  done
fi
sleep 3
rss() { awk '/VmRSS/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status"; }
classes() { jcmd "$1" VM.classloader_stats 2>/dev/null | awk '/^Total = / { print $4 }'; }
if [ -n "${NMT:-}" ]; then
  for p in "$sp:server" "$gp:gateway"; do
    jcmd "${p%%:*}" VM.native_memory summary >"$d/nmt-${p#*:}.txt" 2>&1 || true
    awk '/^[0-9a-f]+-[0-9a-f]+ / { name = $6 } /^Rss:/ { r[name] += $2 } END { for (n in r) print r[n], n }' \
      "/proc/${p%%:*}/smaps" | sort -rn | head -25 >"$d/smaps-${p#*:}.txt"
  done
  echo "NMT summaries and largest mappings in $d" >&2
fi
rs=$(rss "$sp") rg=$(rss "$gp")  # before jcmd's attach listener adds its thread
echo "$label | server $ts ms, $rs MiB, $(ls "/proc/$sp/task" | wc -l) threads, $(classes "$sp") classes" \
  "| gateway $tg ms, $rg MiB, $(ls "/proc/$gp/task" | wc -l) threads, $(classes "$gp") classes"
