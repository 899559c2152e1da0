#!/usr/bin/env bash
# demo.sh (`mpgw demo`): mpgw on a throwaway two-router testbed in network namespaces, in one command.
#
#   client --LAN-- gw (gateway) ==link 1..N, tbf-shaped== srv (socks-server) --- dst (iperf3 server)
#
# Builds the testbed (bin/testbed.sh, prefix mpgwdemo-), starts the socks-server in srv and the gateway in gw,
# installs the interception rules in gw, then sends an iperf3 upload from client to dst for --seconds and
# prints one line per second: each link's rate and the total, read from gw's WAN interface byte counters.
# Link 2 goes down a third of the way through and comes back at two thirds. Everything it made is removed
# on exit, also on Ctrl-C. Needs root and Linux with MPTCP; installs the Debian packages it lacks (bin/deps.txt).
set -euo pipefail
here=$(cd "$(dirname "$(readlink -f "$0")")" && pwd)
root=$(dirname "$here")

usage() {
  cat <<'USAGE'
usage: mpgw demo [--seconds N] [--rate R] [--links N]

  --seconds N  length of the transfer (default 30, at least 6)
  --rate R     tbf rate of each link, tc units (default 20mbit)
  --links N    number of links between the routers, 1-4 (default 2); with 2 or more, link 2 is taken
               down at a third of the time and brought back at two thirds
USAGE
}

die() { echo "mpgw demo: $*" >&2; exit 2; }

seconds=30
rate=20mbit
links=2
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) [ $# -ge 2 ] || die "--seconds needs a value"; seconds=$2; shift ;;
    --rate) [ $# -ge 2 ] || die "--rate needs a value"; rate=$2; shift ;;
    --links) [ $# -ge 2 ] || die "--links needs a value"; links=$2; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument '$1'" ;;
  esac
  shift
done
[[ $seconds =~ ^[0-9]+$ ]] && [ "$seconds" -ge 6 ] && [ "$seconds" -le 3600 ] || die "--seconds must be 6-3600"
[[ $links =~ ^[1-4]$ ]] || die "--links must be 1-4"
[[ $rate =~ ^[0-9.]+[kmg]?bit$ ]] || die "--rate must look like 20mbit (tc units: kbit, mbit, gbit)"

if [ "$(id -u)" != 0 ]; then
  echo "mpgw demo: needs root: it creates network namespaces, shapes links and installs iptables rules." >&2
  echo "           run: sudo $root/bin/mpgw demo" >&2
  exit 1
fi
# Installs what is missing from Debian's packages (one line says which, first), or names it and stops.
# shellcheck source=deps.sh
. "$root/bin/deps.sh"
purposes=(demo)
if [ ! -d "$root/lib" ] && { [ ! -d "$root/gateway/target/lib" ] || [ ! -d "$root/socks-server/target/lib" ]; }; then
  purposes+=(build)
fi
mpgw_deps_install "mpgw demo" "${purposes[@]}" || exit 2

# A distribution has lib/; a source tree is built here once.
if [ ! -d "$root/lib" ] && { [ ! -d "$root/gateway/target/lib" ] || [ ! -d "$root/socks-server/target/lib" ]; }; then
  echo "== building mpgw (mvn -q -DskipTests package)"
  (cd "$root" && mvn -B -ntp -q -Dstyle.color=never -DskipTests package) || die "build failed"
fi

prefix=mpgwdemo-
work=$(mktemp -d /tmp/mpgw-demo.XXXXXX)
pids=()

cleanup() {
  local rc=$? pid
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  bash "$root/bin/testbed.sh" down --prefix "$prefix" || rc=1
  rm -rf "$work"
  if ip netns list | awk -v p="$prefix" 'index($1, p) == 1 { found = 1 } END { exit !found }'; then
    echo "mpgw demo: namespaces left behind: $(ip netns list | grep "^$prefix" | tr '\n' ' ')" >&2
    rc=1
  fi
  echo "== removed the testbed (namespaces ${prefix}*), the daemons and their files"
  exit "$rc"
}
trap cleanup EXIT
trap 'echo; echo "== interrupted"; exit 130' INT TERM

echo "== testbed: $links link(s) of $rate between router A (gw) and router B (srv)"
bash "$root/bin/testbed.sh" up --prefix "$prefix" --links "$links" --rate "$rate" --env "$work/testbed.env" 2>&1 \
  | sed 's/^/   /'
# shellcheck disable=SC1091
. "$work/testbed.env"
in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

# Waits up to 30 s for a TCP listener on port $2 in namespace $1; shows the daemon's log when there is none.
await_listening() {
  local ns=$1 port=$2 log=$3
  for _ in $(seq 300); do
    [ -n "$(in_ns "$ns" ss -Hltn "sport = :$port")" ] && return 0
    sleep 0.1
  done
  tail -20 "$log" >&2
  die "nothing listens on port $port in $ns"
}

IFS=, read -r -a srv_ips <<<"$SRV_IPS"
servers=$(printf '"%s:1080", ' "${srv_ips[@]}")
cat >"$work/server.conf" <<EOF
server {
  listen = ["0.0.0.0:1080"]
  mptcp = required
  metrics.listen = "127.0.0.1:9465"
}
EOF
cat >"$work/gateway.conf" <<EOF
gateway {
  listen = ["0.0.0.0:12345"]
  mode = redirect
  servers = [${servers%, }]
  mptcp = required
  metrics.listen = "127.0.0.1:9464"
}
EOF

# Background processes run under `ip netns exec` directly, not in_ns: it execs, so $! is the process itself.
echo "== router B: socks-server on ${SRV_IPS//,/, } port 1080 (MPTCP)"
ip netns exec "$NS_SRV" "$root/bin/mpgw" server --config "$work/server.conf" >"$work/server.log" 2>&1 &
pids+=($!)
await_listening "$NS_SRV" 1080 "$work/server.log"

echo "== router A: gateway on port 12345, interception rules for the LAN $LAN_CIDR"
ip netns exec "$NS_GW" "$root/bin/mpgw" gateway --config "$work/gateway.conf" >"$work/gateway.log" 2>&1 &
pids+=($!)
await_listening "$NS_GW" 12345 "$work/gateway.log"
rule_args=(--no-udp --port 12345 --lan "$LAN_CIDR")
for ip in "${srv_ips[@]}"; do rule_args+=(--server "$ip"); done
in_ns "$NS_GW" bash "$root/iptables/mpgw-rules" install "${rule_args[@]}" >/dev/null

# The status pages listen on loopback inside the namespaces; socat brings each to this host's loopback (one
# 'ip netns exec ... socat' per connection), so a browser here can watch the links fill and empty.
status_urls=()
for page in "gateway $NS_GW 9464" "socks-server $NS_SRV 9465"; do
  read -r name ns port <<<"$page"
  if ss -Hltn "sport = :$port" | grep -q .; then
    echo "   (port $port is taken on this host: the $name's status page is not forwarded)"
    continue
  fi
  socat "TCP-LISTEN:$port,bind=127.0.0.1,reuseaddr,fork" \
    "EXEC:ip netns exec $ns socat STDIO TCP\:127.0.0.1\:$port" >"$work/socat-$port.log" 2>&1 &
  pids+=($!)
  status_urls+=("http://127.0.0.1:$port/ ($name)")
done
if [ ${#status_urls[@]} -gt 0 ]; then
  echo "== status pages while the demo runs: ${status_urls[*]}"
  echo "   or in a terminal: $root/bin/mpgw status --url http://127.0.0.1:9464"
fi

ip netns exec "$NS_DST" iperf3 --server --port 5201 >"$work/iperf3-server.log" 2>&1 &
pids+=($!)
await_listening "$NS_DST" 5201 "$work/iperf3-server.log"

# link_bytes I: bytes gw has sent and received on link I so far.
link_bytes() {
  local s=/sys/class/net/wan$1/statistics
  in_ns "$NS_GW" cat "$s/tx_bytes" "$s/rx_bytes" | awk '{ n += $1 } END { print n }'
}
mbit() { awk -v b="$1" -v ns="$2" 'BEGIN { printf "%5.1f", b * 8 / ns * 1000 }'; }

cut_at=0
restore_at=0
if [ "$links" -ge 2 ]; then cut_at=$(( seconds / 3 )); restore_at=$(( 2 * seconds / 3 )); fi

echo "== client $CLIENT_IP -> dst $DST_IP: iperf3 upload for $seconds s, intercepted by the gateway"
ip netns exec "$NS_CLIENT" iperf3 --client "$DST_IP" --port 5201 --time "$seconds" >"$work/iperf3.log" 2>&1 &
client_pid=$!
pids+=("$client_pid")

declare -a last
for (( i = 1; i <= links; i++ )); do last[i]=$(link_bytes "$i"); done
start_ns=$(date +%s%N)
last_ns=$start_ns
first_bytes=0
for (( i = 1; i <= links; i++ )); do first_bytes=$(( first_bytes + last[i] )); done
for (( t = 1; t <= seconds; t++ )); do
  # Sleep to the next whole second since the start, so the lines do not drift.
  next_ns=$(( start_ns + t * 1000000000 ))
  now_ns=$(date +%s%N)
  [ "$next_ns" -le "$now_ns" ] || sleep "$(awk -v d=$(( next_ns - now_ns )) 'BEGIN { printf "%.3f", d / 1e9 }')"
  now_ns=$(date +%s%N)
  line=$(printf 't=%3ds ' "$t")
  total=0
  for (( i = 1; i <= links; i++ )); do
    b=$(link_bytes "$i")
    line+=" link$i $(mbit $(( b - last[i] )) $(( now_ns - last_ns ))) Mbit/s "
    total=$(( total + b - last[i] ))
    last[i]=$b
  done
  echo "$line total $(mbit "$total" $(( now_ns - last_ns ))) Mbit/s"
  last_ns=$now_ns
  if [ "$t" = "$cut_at" ]; then
    bash "$root/bin/testbed.sh" link down 2 --prefix "$prefix"
    echo "--- link 2 DOWN (gw's end of wan2): the flow carries on over the other link(s)"
  elif [ "$t" = "$restore_at" ]; then
    bash "$root/bin/testbed.sh" link up 2 --prefix "$prefix"
    # The kernel does not re-create a subflow that closed on error: the socks-server's path watcher sees wan2
    # come back and re-announces router B's address on it (its log line is shown at the end).
    echo "--- link 2 UP again: router B's path watcher re-announces it, a new subflow joins the same flow"
  fi
done
wait "$client_pid" || { tail -20 "$work/iperf3.log" >&2; die "iperf3 failed (gateway log: see above)"; }

all=0
for (( i = 1; i <= links; i++ )); do all=$(( all + last[i] )); done
echo "total: $(mbit $(( all - first_bytes )) $(( last_ns - start_ns )) | tr -d ' ') Mbit/s on average over $seconds s on $links link(s) of $rate each"
receiver=$(grep -E 'receiver$' "$work/iperf3.log" | tail -1 | awk '{ print $(NF-2), $(NF-1) }')
echo "iperf3 receiver: ${receiver:-?} (application bytes that reached dst; the one TCP flow lasted the whole run)"
if [ "$links" -ge 2 ]; then
  watcher=$(grep -m1 -o "re-announced MPTCP endpoint.*" "$work/server.log" || true)
  echo "router B's path watcher: ${watcher:-no re-announce logged (see docs/gateway.md, path watcher)}"
fi
