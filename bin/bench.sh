#!/usr/bin/env bash
# bench.sh (bin/mpgw bench): mpgw against the kernel's own MPTCP and the classic C stacks, side by side, in one
# run on a namespace testbed (bin/testbed.sh). Every figure is the median of --runs runs, the failed ones
# counted in its cell. The parts whose figures the machine's speed moves (aggregation, cpu, setup, udp) run round
# by round (A B C, A B C). Prints progress on stderr, the table on stdout (with the commit and each stack's exact
# config under it), and writes it into docs/BENCHMARKS.md between the bench markers.
#
# Stacks (router A / router B, all over kernel MPTCP between the routers):
#   kernel    no proxy: iperf3/wrk/nginx themselves speak MPTCP between the routers (mptcpize) - the limit
#   mpgw      mpgw gateway / mpgw socks-server
#   mpgw-base the same from another build of mpgw (MPGW_BASE=DIR, a built checkout), to compare two commits:
#             like every stack, it takes its turn in each round of aggregation, cpu and setup
#   ss        ss-redir / ss-server (shadowsocks-libev, aes-128-gcm; Debian's build has no 'none' cipher),
#             made MPTCP with mptcpize
#   redsocks  redsocks / Dante (danted), made MPTCP with mptcpize
#   mpgw-tls  mpgw with TLS 1.3 between the routers (server.tls / gateway.upstream.tls, default provider, each
#             router pinning the other's key made by 'mpgw keys' for the run); mpgw-tls-pool the same with the
#             warm pool of mpgw-pool (the configuration the issue's flow-setup targets name)
set -euo pipefail
here=$(cd "$(dirname "$(readlink -f "$0")")" && pwd)
root=$(dirname "$here")
tool() { python3 "$root/bench/benchtool.py" "$@"; }

usage() {
  cat <<'USAGE'
usage: mpgw bench [--runs N] [--seconds S] [--only LIST] [--stacks LIST] [--delay MS] [--quick] [--no-write]
                  [--allow-dirty]

  --runs N       runs per figure; the table shows the median (default 3)
  --seconds S    length of each throughput / request run (default 10)
  --only LIST    comma-separated subset of: aggregation,cpu,setup,roundtrips,ttfb,share,udp,memory,failover,
                 backup,udp-start,warmup (default all; udp runs kernel = plain routing, mpgw and ss only, on the
                 2x20 and 3x20 link sets of --topologies; warmup runs the mpgw stack from the distribution's
                 jars on JDK 17, JDK 17 with an AppCDS archive, JDK 25 (BENCH_JDK25, default
                 /usr/lib/jvm/temurin-25-jdk-amd64; left out when absent) and JDK 25 with an AOT cache,
                 whatever --stacks says)
  --stacks LIST  comma-separated subset of: kernel,mpgw,mpgw-pool,mpgw-tfo,mpgw-base,mpgw-roles,mpgw-tls,
                 mpgw-tls-pool,ss,redsocks
                 (default kernel,mpgw,ss,redsocks; mpgw-pool: gateway.upstream.pool.size = 8;
                 mpgw-tfo: TCP Fast Open with net.ipv4.tcp_fastopen = 3 on router B; these two only differ
                 in how a flow starts, so only setup, roundtrips, ttfb, share and udp-start measure them
                 (mpgw-pool also has gateway.udp.pool-size = 64, room for a page load's burst; udp-start runs kernel = plain
                 routing, mpgw, mpgw-pool and ss only);
                 mpgw-tls: TLS 1.3 between the routers, pinned keys made for the run; mpgw-tls-pool: the
                 same with the pool (like mpgw-pool, only measured where a flow's start matters);
                 mpgw-base: mpgw as built in the checkout MPGW_BASE names, e.g. the commit before a change
                 (its commit is in the table's header);
                 mpgw-roles: gateway.links with link 1 primary and link 2 backup, both probed; only failover
                 and backup measure it)
  --topologies LIST  aggregation link sets, comma-separated subset of 2x20,30+10,3x20 (default all)
  --delay MS     one-way delay of every link in ms (testbed.sh --delay: a userspace delay line per link) for
                 the parts where round trips matter: roundtrips, ttfb and share (default 10: they measure what
                 the zero-RTT layers save, which needs a real round trip) and setup (default none: with a delay,
                 flows/s would measure the delay, not the proxies)
  --idle-flows N concurrent idle flows for the memory figure (default 9000: a proxy holds 2 descriptors
                 per flow and the hard RLIMIT_NOFILE may be 20000, as on the machine of the recorded run)
  --quick        a smoke of every part, not for the docs: --runs 1 --seconds 3 --idle-flows 1000
                 --topologies 2x20 (unless given), 3 s warm-ups, 5 single requests/lookups, shorter failover
                 and UDP cut runs; exits 1 when a run produced no figure
  --no-write     print the table only; leave docs/BENCHMARKS.md alone
  --allow-dirty  run on a checkout with uncommitted changes outside docs/ (refused otherwise: a figure must
                 name the code it measured); the table's header then says DIRTY TREE and which files differ
Needs root; builds the project if needed (mvn -DskipTests package); installs the Debian packages it lacks (bin/deps.txt:
iperf3, wrk, nginx-light, tcpdump, mptcpize, shadowsocks-libev, redsocks, dante-server, python3), or, with
MPGW_NO_INSTALL=1 or without apt-get, names them and stops.
USAGE
}

runs=3 secs=10 only=aggregation,cpu,setup,roundtrips,ttfb,share,udp,memory,failover,backup,udp-start,warmup stacks=kernel,mpgw,ss,redsocks
idle_flows=9000 write=1 quick=0 delay= topologies=2x20,30+10,3x20 allow_dirty=0 topologies_set=0
# Durations a --quick smoke shortens: the JIT warm-up before setup and ttfb, the failover run, the UDP cut run.
warm=20 fail_times="6 12 20" udp_cut_times="4 10 14" singles=20  # singles: requests / lookups of ttfb, udp-start
args="$*"
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs=$2; shift ;;
    --seconds) secs=$2; shift ;;
    --only) only=$2; shift ;;
    --stacks) stacks=$2; shift ;;
    --idle-flows) idle_flows=$2; shift ;;
    --topologies) topologies=$2 topologies_set=1; shift ;;
    --delay) delay=$2; shift ;;
    --quick) quick=1 ;;
    --no-write) write=0 ;;
    --allow-dirty) allow_dirty=1 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "bench: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
  esac
  shift
done
if [ "$quick" = 1 ]; then
  # Every part once, short: it shows the bench still works end to end, not what the stacks can do.
  runs=1 secs=3 idle_flows=1000 warm=3 fail_times="3 6 10" udp_cut_times="2 5 8" singles=5
  [ "$topologies_set" = 1 ] || topologies=2x20
fi
if [[ ",$stacks," == *,mpgw-base,* ]] && ! [ -d "${MPGW_BASE:-/nonexistent}/gateway/target/lib" ]; then
  echo "bench: mpgw-base needs MPGW_BASE=DIR, a checkout built with 'mvn -DskipTests package'" >&2; exit 2
fi
if [ -n "$delay" ] && ! [[ $delay =~ ^[0-9]+(\.[0-9]+)?$ ]]; then
  echo "bench: --delay must be a number of milliseconds, got '$delay'" >&2; exit 2
fi
rtt_delay=${delay:-10}   # roundtrips, ttfb, share; setup uses $delay alone
[ "$(id -u)" = 0 ] || { echo "bench: needs root (network namespaces, iptables)" >&2; exit 2; }
# The commit the figures belong to. Uncommitted changes to tracked files (the code, the bench itself) make the
# figures belong to no commit: refused unless --allow-dirty, and then the header says so in capitals. docs/
# does not count: the bench writes its table there itself, and prose does not change what runs.
commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
dirty=$(git -C "$root" status --porcelain --untracked-files=no -- . ':!docs' 2>/dev/null | awk '{ print $NF }' \
  | tr '\n' ' ')
if [ -n "$dirty" ] && [ "$allow_dirty" = 0 ]; then
  echo "bench: the checkout has uncommitted changes (${dirty% }); commit them, or pass --allow-dirty (the table" \
    "is then marked DIRTY TREE)" >&2
  exit 2
fi
commit_line="Commit: $commit"
[ -z "$dirty" ] || commit_line="Commit: $commit **DIRTY TREE: uncommitted changes in ${dirty% }; these figures belong to no commit**"
base_commit=""
if [[ ",$stacks," == *,mpgw-base,* ]]; then
  base_commit=$(git -C "$MPGW_BASE" rev-parse --short HEAD 2>/dev/null || echo unknown)
  [ -z "$(git -C "$MPGW_BASE" status --porcelain --untracked-files=no 2>/dev/null)" ] || base_commit+=" (dirty)"
  commit_line+="; mpgw-base: $base_commit"
fi
# Installs the Debian packages of the stacks and tools it lacks (one line says which, first), or names them.
# shellcheck source=deps.sh
. "$root/bin/deps.sh"
if [ -d "$root/socks-server/target/lib" ] && [ -d "$root/gateway/target/lib" ]; then
  mpgw_deps_install "bench" bench || exit 2
else
  mpgw_deps_install "bench" bench build || exit 2
  echo "== building mpgw (mvn -q -DskipTests package)" >&2
  (cd "$root" && mvn -B -ntp -q -DskipTests package) >&2 || { echo "bench: build failed" >&2; exit 2; }
fi

P=mpgwbench-
NS_CLIENT=${P}client NS_GW=${P}gw NS_SRV=${P}srv NS_DST=${P}dst
# One bench at a time: the prefix is fixed, and a second run's testbed.sh up would tear down the first's
# namespaces mid-measurement. The lock covers runs of this script; the namespace check also catches runs of
# other checkouts' copies. Both come before the EXIT trap, whose cleanup would tear the other run down.
exec 9>/run/mpgw-bench.lock
flock -n 9 || { echo "bench: another 'mpgw bench' is running (lock /run/mpgw-bench.lock); wait for it" >&2; exit 2; }
if ip netns list | awk -v p="$P" 'index($1, p) == 1 { found = 1 } END { exit !found }'; then
  echo "bench: namespaces ${P}* exist: another bench (maybe from another checkout) is running; if none is," \
    "remove them: bin/testbed.sh down --prefix $P" >&2
  exit 2
fi
work=$(mktemp -d /tmp/mpgw-bench.XXXXXX)
chmod 755 "$work"  # nginx workers run as nobody
PIDS=()
has() { [[ ",$1," == *",$2,"* ]]; }
log() { echo "[bench $(date +%H:%M:%S)] $*" >&2; }
in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

# start NS NAME CMD...: a background process in a namespace; its PID is remembered for stop_all.
start() {
  local ns=$1 name=$2; shift 2
  ip netns exec "$ns" "$@" >"$work/$name.log" 2>&1 &  # a plain command, so $! is the daemon itself
  PIDS+=($!)
}

stop_all() {
  local pid ns
  # Daemons that fork away from the PID we started (danted) are still in the bench's namespaces, and
  # every process there is the bench's own.
  for ns in "$NS_CLIENT" "$NS_GW" "$NS_SRV" "$NS_DST"; do
    PIDS+=($(ip netns pids "$ns" 2>/dev/null || true))
  done
  for pid in "${PIDS[@]+"${PIDS[@]}"}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]+"${PIDS[@]}"}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
  PIDS=()
}

cleanup() {
  stop_all
  bash "$here/testbed.sh" down --prefix "$P" >/dev/null 2>&1 || true
  [ -n "${MPGW_BENCH_KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

# wait_port NS PORT: until something listens on TCP PORT in NS (10 s).
wait_port() {
  for _ in $(seq 100); do
    [ -n "$(in_ns "$1" ss -Hltn "sport = :$2")" ] && return 0
    sleep 0.1
  done
  echo "bench: nothing listens on port $2 in $1; logs:" >&2
  tail -n 20 "$work"/*.log >&2
  exit 1
}

testbed() {  # testbed LINKS RATES [ONE-WAY-DELAY-MS]
  local delay_args=(); [ -z "${3:-}" ] || delay_args=(--delay "$3")
  bash "$here/testbed.sh" up --prefix "$P" --links "$1" --rate "$2" ${delay_args[@]+"${delay_args[@]}"} \
    --env "$work/testbed.env" 2>/dev/null >/dev/null
  # shellcheck disable=SC1091
  . "$work/testbed.env"
  srv_list=$(IFS=,; for ip in $SRV_IPS; do printf '"%s:1080",' "$ip"; done)
}

# tls_keys: router A's and router B's keys for the TLS stacks, made once per bench run with 'mpgw keys', as an
# operator makes them; each router pins the other's printed fingerprint.
tls_keys() {
  [ -z "${tls_fp_a:-}" ] || return 0
  tls_fp_a=$(bash "$root/bin/mpgw" keys --out "$work/tls-a" --name router-a)
  tls_fp_b=$(bash "$root/bin/mpgw" keys --out "$work/tls-b" --name router-b)
}

# Daemons of one stack on a running testbed. Everything the stacks need ulimit-wise is raised here.
start_stack() {
  ulimit -n "$(ulimit -Hn)"
  case "$1" in
    kernel) ;;
    mpgw|mpgw-pool|mpgw-tfo|mpgw-base|mpgw-roles|mpgw-tls|mpgw-tls-pool)
      # mpgw: the defaults (no pool, no fast open); mpgw-base: the same, from the build in MPGW_BASE.
      local server_tfo=0 mpgw_root=${stack_root:-$root}
      [ "$1" = mpgw-base ] && mpgw_root=$MPGW_BASE
      # A base build from before the key renames (issue 13) knows the MPTCP key by its old name.
      local upstream="mptcp = required"
      grep -qE '^\s+idle-timeout = ' "$mpgw_root/gateway/src/main/resources/reference.conf" 2>/dev/null \
        && upstream="upstream.mptcp = required"
      [ "$1" = mpgw-pool ] && upstream+=", upstream.pool.size = 8, udp.pool-size = 64"
      # Where UDP is measured the carrier is named, though stream is the default: the config says what ran.
      [ "${stack_udp:-0}" = 1 ] && upstream+=", udp.mode = stream"
      [ "$1" = mpgw-tls-pool ] && upstream+=", upstream.pool.size = 8"
      local server_tls=""
      if [ "$1" = mpgw-tls ] || [ "$1" = mpgw-tls-pool ]; then
        tls_keys
        server_tls=", tls { enabled = on, certificate = \"$work/tls-b/cert.pem\", key = \"$work/tls-b/key.pem\", peers = [\"$tls_fp_a\"] }"
        upstream+=", upstream.tls { enabled = on, certificate = \"$work/tls-a/cert.pem\", key = \"$work/tls-a/key.pem\", peers = [\"$tls_fp_b\"] }"
      fi
      if [ "$1" = mpgw-tfo ]; then
        upstream+=", upstream.fast-open = on" server_tfo=256
        in_ns "$NS_SRV" sysctl -qw net.ipv4.tcp_fastopen=3
        # The documented companion of TFO on this kernel (docs/zero-rtt.md, "TFO and the second subflow").
        gw_rmem=$(in_ns "$NS_GW" sysctl -n net.ipv4.tcp_rmem)
        in_ns "$NS_GW" sysctl -qw net.ipv4.tcp_rmem="4096 1048576 6291456"
      fi
      # mpgw-roles: link 1 primary, link 2 backup, each probed over its own link (gateway.links; the
      # socks-server answers the probes of router A's link addresses on UDP 1081).
      local links="" probe=""
      if [ "$1" = mpgw-roles ]; then
        links=", links = [ { interface = \"wan1\", role = primary, probe = \"$SRV_WAN1_IP:1081\" },"
        links+=" { interface = \"wan2\", role = backup, probe = \"$SRV_WAN2_IP:1081\" } ]"
        probe=", probe { enabled = on, listen = \"0.0.0.0:1081\", allow = [\"$GW_WAN1_IP/32\", \"$GW_WAN2_IP/32\"] }"
      fi
      cat >"$work/server.conf" <<EOF
server { listen = ["0.0.0.0:1080"], mptcp = required, fast-open = $server_tfo$server_tls $probe }
EOF
      cat >"$work/gateway.conf" <<EOF
gateway { listen = ["0.0.0.0:12345"], servers = [${srv_list%,}], $upstream, metrics.listen = "" $links${stack_limits:-} }
EOF
      cfg_note "$1" "server.conf (router B): $(cat "$work/server.conf")"
      cfg_note "$1" "gateway.conf (router A): $(cat "$work/gateway.conf")"
      [ "$1" != mpgw-tfo ] || cfg_note "$1" "sysctl router B: net.ipv4.tcp_fastopen=3; router A: net.ipv4.tcp_rmem=\"4096 1048576 6291456\""
      # The JVM profile: the launcher's own default (bin/mpgw), unless BENCH_MEMORY_OPTS_<stack> (the stack's
      # name with _ for -, e.g. BENCH_MEMORY_OPTS_mpgw_base) gives this stack's MPGW_MEMORY_OPTS: an A/B of two JVM
      # profiles runs mpgw and mpgw-base with one of them set. The note is what the launcher really passes
      # (bench/jvm-args.sh stands in for java).
      local jvm=(env) profile_var="BENCH_MEMORY_OPTS_${1//-/_}" d
      [ -z "${!profile_var+x}" ] || jvm+=("MPGW_MEMORY_OPTS=${!profile_var}")
      for d in server gateway; do
        cfg_note "$1" "JVM profile, $d${!profile_var+ ($profile_var)}: $("${jvm[@]}" JAVA="$root/bench/jvm-args.sh" \
          bash "$mpgw_root/bin/mpgw" "$d" --config "$work/$d.conf")"
      done
      # The warmup part's JVM variants (stack_jvm): JAVA and MPGW_JAVA_OPTS per daemon, @D@ = server or gateway.
      local jvm_server=("${jvm[@]}") jvm_gateway=("${jvm[@]}")
      if [ -n "${stack_jvm:-}" ]; then
        # shellcheck disable=SC2206
        jvm_server+=(${stack_jvm//@D@/server}) jvm_gateway+=(${stack_jvm//@D@/gateway})
      fi
      start "$NS_SRV" server "${jvm_server[@]}" bash "$mpgw_root/bin/mpgw" server --config "$work/server.conf"
      start "$NS_GW" gateway "${jvm_gateway[@]}" bash "$mpgw_root/bin/mpgw" gateway --config "$work/gateway.conf"
      wait_port "$NS_SRV" 1080; wait_port "$NS_GW" 12345 ;;
    ss)
      # UDP relay (-u) only where the part measures UDP: ss-redir then takes the TPROXY'd datagrams on 12345.
      local ss_udp=(); [ "${stack_udp:-0}" = 1 ] && ss_udp=(-u)
      local ss_srv=(ss-server -s 0.0.0.0 -p 8388 -k bench -m aes-128-gcm -n 1048576 ${ss_udp[@]+"${ss_udp[@]}"})
      local ss_gw=(ss-redir -s "$SRV_IP" -p 8388 -b 0.0.0.0 -l 12345 -k bench -m aes-128-gcm -n 1048576
        ${ss_udp[@]+"${ss_udp[@]}"})
      cfg_note ss "router B: mptcpize run ${ss_srv[*]}"
      cfg_note ss "router A: mptcpize run ${ss_gw[*]}"
      start "$NS_SRV" ss-server mptcpize run "${ss_srv[@]}"
      start "$NS_GW" ss-redir mptcpize run "${ss_gw[@]}"
      wait_port "$NS_SRV" 8388; wait_port "$NS_GW" 12345 ;;
    redsocks)
      cat >"$work/danted.conf" <<EOF
logoutput: stderr
internal: 0.0.0.0 port = 1080
external: out0
clientmethod: none
socksmethod: none
user.privileged: root
user.unprivileged: nobody
client pass { from: 0.0.0.0/0 to: 0.0.0.0/0 }
socks pass { from: 0.0.0.0/0 to: 0.0.0.0/0 }
EOF
      cat >"$work/redsocks.conf" <<EOF
base { log_debug = off; log_info = off; daemon = off; redirector = iptables; }
redsocks { local_ip = 0.0.0.0; local_port = 12345; ip = $SRV_IP; port = 1080; type = socks5; }
EOF
      cfg_note redsocks "danted.conf (router B, mptcpize run danted): $(grep -v '^logoutput' "$work/danted.conf" | tr '\n' ' ')"
      cfg_note redsocks "redsocks.conf (router A, mptcpize run redsocks): $(cat "$work/redsocks.conf")"
      start "$NS_SRV" danted mptcpize run danted -f "$work/danted.conf" -p "$work/danted.pid"
      start "$NS_GW" redsocks mptcpize run redsocks -c "$work/redsocks.conf"
      wait_port "$NS_SRV" 1080; wait_port "$NS_GW" 12345 ;;
  esac
  if [ "$1" != kernel ]; then
    local servers=(); for ip in ${SRV_IPS//,/ }; do servers+=(--server "$ip"); done
    # UDP is intercepted only for udp-start (stack_udp=1); the other parts measure TCP alone.
    local udp_flags=(--no-udp)
    if [ "${stack_udp:-0}" = 1 ]; then
      udp_flags=(); [ "$1" = ss ] && udp_flags=(--tproxy-port 12345)  # ss-redir -u: TCP and UDP on one port
    fi
    local rules=(iptables/mpgw-rules install --backend iptables ${udp_flags[@]+"${udp_flags[@]}"} --lan "$LAN_CIDR"
      "${servers[@]}")
    cfg_note "$1" "router A rules: ${rules[*]}"
    in_ns "$NS_GW" bash "$root/${rules[0]}" "${rules[@]:1}" >/dev/null
  else
    cfg_note kernel "no proxy: iperf3/wrk/nginx under mptcpize between the routers (udp: plain routing client -> destination, no rules)"
  fi
}

stop_stack() {
  stop_all
  in_ns "$NS_SRV" sysctl -qw net.ipv4.tcp_fastopen=1 2>/dev/null || true
  if [ -n "${gw_rmem:-}" ]; then
    in_ns "$NS_GW" sysctl -qw net.ipv4.tcp_rmem="$gw_rmem" 2>/dev/null || true
    gw_rmem=
  fi
  in_ns "$NS_GW" bash "$root/iptables/mpgw-rules" remove >/dev/null 2>&1 || true
}

# Where the load runs: proxied stacks go client -> destination; the kernel figure runs between the routers.
load_ns() { if [ "$1" = kernel ]; then echo "$NS_GW"; else echo "$NS_CLIENT"; fi; }
sink_ns() { if [ "$1" = kernel ]; then echo "$NS_SRV"; else echo "$NS_DST"; fi; }
sink_ip() { if [ "$1" = kernel ]; then echo "$SRV_IP"; else echo "$DST_IP"; fi; }
mp() { if [ "$1" = kernel ]; then echo "mptcpize run"; fi; }

# iperf_run STACK OUT ARGS...: one iperf3 run from the load namespace to the sink; prints "Mbit/s bytes".
iperf_run() {
  local stack=$1 out=$2; shift 2
  # shellcheck disable=SC2046
  in_ns "$(load_ns "$stack")" $(mp "$stack") timeout $((secs + 30)) iperf3 -c "$(sink_ip "$stack")" -J "$@" \
    >"$out" 2>/dev/null || true
  tool iperf "$out" || echo "- 0"
}

start_iperf_server() {
  # shellcheck disable=SC2046
  start "$(sink_ns "$1")" iperf3 $(mp "$1") iperf3 -s -J -i 0.1  # failover reads the receiver's 0.1 s intervals
  wait_port "$(sink_ns "$1")" 5201
}

declare -A R  # results: R[figure,stack]
declare -A CFG  # the exact configuration each stack ran with: CFG[stack], printed under the table
CFG_ORDER=()
# cfg_note STACK TEXT: remember TEXT (config file lines, command lines) for STACK, once per distinct text.
cfg_note() {
  [ -n "${CFG[$1]+x}" ] || CFG_ORDER+=("$1")
  [[ "${CFG[$1]:-}" == *"$2"* ]] || CFG[$1]+="$2"$'\n'
}

# mpgw-pool and mpgw-tfo differ from mpgw only in how a flow starts: the parts about bulk transfer, idle flows and
# failover measure them as mpgw (and their cells stay empty).
flow_setup_variant() { [ "$1" = mpgw-pool ] || [ "$1" = mpgw-tfo ] || [ "$1" = mpgw-tls-pool ]; }
# mpgw-roles differs from mpgw only in its link roles and probes: only failover and backup measure it.
links_variant() { [ "$1" = mpgw-roles ]; }

median_of() { tool median --digits "${2:-1}" $1; }

# for_runs PREPARE MEASURE: the runs interleaved, round by round: each round starts every stack afresh in
# turn (round 1: A B C, round 2: A B C, ...), "PREPARE STACK" after each start, "MEASURE STACK RUN" once, then
# the stack stops. A machine that drifts during the bench (20 % an hour was seen) then hits every stack alike,
# and V[figure,stack] holds the values in round order, so ratios come from runs of the same round.
declare -A SOCKERR  # wrk's socket errors, summed over a stack's setup runs
declare -A V  # per-run values: V[figure,stack]=" v1 v2 ..." (one per round, "-" for a failed run)
for_runs() {
  local prepare=$1 measure=$2 stack i
  for (( i = 1; i <= runs; i++ )); do
    for stack in ${stacks//,/ }; do
      links_variant "$stack" && continue
      flow_setup_variant "$stack" && [ "$measure" = cpu_run ] && continue
      start_stack "$stack"; "$prepare" "$stack"; "$measure" "$stack" "$i"; stop_stack
    done
  done
}

# ---- 1. aggregation ------------------------------------------------------------------------------------
bench_aggregation() {
  local topo links rates name stack dir vals i
  for topo in "2x20:2:20mbit" "30+10:2:30mbit,10mbit" "3x20:3:20mbit"; do
    IFS=: read -r name links rates <<<"$topo"
    has "$topologies" "$name" || continue
    testbed "$links" "$rates"
    # Round by round (A B C, A B C): each round starts every stack afresh and runs both directions.
    for (( i = 1; i <= runs; i++ )); do
      for stack in ${stacks//,/ }; do
        links_variant "$stack" && continue
        flow_setup_variant "$stack" && continue
        start_stack "$stack"; start_iperf_server "$stack"
        for dir in up down; do
          local r; r=$(iperf_run "$stack" "$work/agg.json" -t "$secs" $([ $dir = down ] && echo -R))
          V[agg-$name-$dir,$stack]+=" ${r%% *}"
          log "aggregation $name $dir $stack run $i: ${r%% *} Mbit/s"
        done
        stop_stack
      done
    done
    for stack in ${stacks//,/ }; do
      for dir in up down; do
        if [ -n "${V[agg-$name-$dir,$stack]+x}" ]; then
          R[agg-$name-$dir,$stack]=$(median_of "${V[agg-$name-$dir,$stack]}")
        fi
      done
    done
  done
}

# ---- 2. CPU-bound throughput -------------------------------------------------------------------------
bench_cpu() {
  testbed 1 none
  for_runs start_iperf_server cpu_run
  local stack flows
  for stack in ${stacks//,/ }; do
    for flows in 1 8; do
      [ -n "${V[cpu-$flows,$stack]+x}" ] || continue
      R[cpu-$flows,$stack]=$(median_of "${V[cpu-$flows,$stack]}" 0)
      R[cpugb-$flows,$stack]=$(median_of "${V[cpugb-$flows,$stack]:-}")
      if [ "$flows" = 1 ]; then R[cpu-ratio,$stack]=$(tool ratio "${V[cpu-1,$stack]}" "${V[cpu-1,ss]:-}"); fi
    done
  done
}

# cpu_run STACK RUN: one iperf3 run with 1 and with 8 flows, and the proxies' CPU per GB.
cpu_run() {
  local stack=$1 i=$2 flows c0 c1 r mbit bytes
  for flows in 1 8; do
    c0=$(tool cpu --ns "$NS_GW" --ns "$NS_SRV" --exclude iperf3)
    r=$(iperf_run "$stack" "$work/cpu.json" -t "$secs" -P "$flows")
    c1=$(tool cpu --ns "$NS_GW" --ns "$NS_SRV" --exclude iperf3)
    mbit=${r%% *} bytes=${r##* }
    V[cpu-$flows,$stack]+=" $mbit"
    if [ "$stack" != kernel ] && [ "$bytes" -gt 0 ]; then
      V[cpugb-$flows,$stack]+=" $(python3 -c "print(f'{($c1 - $c0) / ($bytes / 1e9):.1f}')")"
    fi
    log "cpu $stack $flows flow(s) run $i: $mbit Mbit/s, proxy CPU $(python3 -c "print(f'{$c1 - $c0:.2f}')") s"
  done
}

# ---- 3. flow setup -------------------------------------------------------------------------------------
start_nginx() {
  mkdir -p "$work/www"
  echo ok >"$work/www/index.html"
  cat >"$work/nginx.conf" <<EOF
worker_processes 1;
pid $work/nginx.pid;
error_log stderr;
events { worker_connections 65536; }
http {
  access_log off;
  server { listen 80 backlog=65535; root $work/www; }
}
EOF
  # shellcheck disable=SC2046
  start "$(sink_ns "$1")" nginx $(mp "$1") nginx -c "$work/nginx.conf" -g 'daemon off;'
  wait_port "$(sink_ns "$1")" 80
}

# An unmeasured warm-up of short flows, the same for every stack: mpgw's JIT needs ~20 s of them to reach its
# steady state (measured: 2.4k -> 4k flows/s over the first 20 s; one request at a time on 10 ms links, 46.7 ms
# cold against 41.9 ms warm), and a router runs for days, not seconds.
warm_up() {
  # shellcheck disable=SC2046
  in_ns "$(load_ns "$1")" $(mp "$1") timeout $(( $2 + 40 )) wrk -t 2 -c 32 -d "$2s" -H 'Connection: close' \
    "http://$(sink_ip "$1")/" >/dev/null 2>&1 || true
}

setup_testbed() {
  testbed 1 none "$delay"
  local ns
  # Thousands of short connections a second: without these the ephemeral ports of one address pair run out
  # within a run (TIME_WAIT lasts 60 s) and later runs measure the port shortage, not the stack.
  for ns in "$NS_CLIENT" "$NS_GW" "$NS_SRV" "$NS_DST"; do
    in_ns "$ns" sysctl -qw net.ipv4.ip_local_port_range="1024 65535" net.ipv4.tcp_tw_reuse=1
  done
}

bench_setup() {
  setup_testbed
  for_runs setup_prepare setup_run
  local stack
  for stack in ${stacks//,/ }; do
    R[setup-rps,$stack]=$(median_of "${V[setup-rps,$stack]:-}" 0)
    # wrk's socket errors of all runs (connect, read, write, timeout), beside the flows/s they belong to.
    if [ "${SOCKERR[$stack]:-0}" -gt 0 ]; then
      R[setup-rps,$stack]+=" (${SOCKERR[$stack]} socket errors)"
      R[setup-rps,$stack]=${R[setup-rps,$stack]/) (/, }
    fi
    R[setup-ratio,$stack]=$(tool ratio "${V[setup-rps,$stack]:-}" "${V[setup-rps,ss]:-}")
    R[setup-p50,$stack]=$(median_of "${V[setup-p50,$stack]:-}" 2)
    R[setup-p99,$stack]=$(median_of "${V[setup-p99,$stack]:-}" 2)
    R[setup-user,$stack]=$(median_of "${V[setup-user,$stack]:-}" 0)
    R[setup-sys,$stack]=$(median_of "${V[setup-sys,$stack]:-}" 0)
  done
}

setup_prepare() {
  start_nginx "$1"
  warm_up "$1" "$warm"
}

# setup_run STACK RUN: one wrk run of short flows; flows/s, latency, and both proxies' CPU per flow.
setup_run() {
  local stack=$1 i=$2 rps p50 p99 requests errs sockerr u0 s0 u1 s1
  read -r u0 s0 < <(tool cpu --split --ns "$NS_GW" --ns "$NS_SRV" --exclude wrk --exclude nginx)
  # shellcheck disable=SC2046
  in_ns "$(load_ns "$stack")" $(mp "$stack") timeout $((secs + 30)) wrk -t 2 -c 32 -d "${secs}s" --latency \
    -H 'Connection: close' "http://$(sink_ip "$stack")/" >"$work/wrk.txt" 2>&1 || true
  read -r u1 s1 < <(tool cpu --split --ns "$NS_GW" --ns "$NS_SRV" --exclude wrk --exclude nginx)
  read -r rps p50 p99 requests errs sockerr < <(tool wrk "$work/wrk.txt" || echo "- - - 0 - 0")
  V[setup-rps,$stack]+=" $rps" V[setup-p50,$stack]+=" $p50" V[setup-p99,$stack]+=" $p99"
  SOCKERR[$stack]=$(( ${SOCKERR[$stack]:-0} + sockerr ))
  # CPU of both proxies per flow, in user space and in the kernel (system time: their sockets' work,
  # including the network stack's processing done in their context).
  if [ "$stack" != kernel ] && [ "$requests" -gt 0 ]; then
    V[setup-user,$stack]+=" $(python3 -c "print(f'{($u1 - $u0) * 1e6 / $requests:.0f}')")"
    V[setup-sys,$stack]+=" $(python3 -c "print(f'{($s1 - $s0) * 1e6 / $requests:.0f}')")"
  fi
  log "setup $stack run $i: $rps flows/s, p50 $p50 ms, p99 $p99 ms, proxies' CPU user $(python3 -c \
    "print(f'{$u1 - $u0:.2f}')") s, system $(python3 -c "print(f'{$s1 - $s0:.2f}')") s for $requests flows ($errs)"
}

# ---- 4. round trips before the first payload byte ----------------------------------------------------
bench_roundtrips() {
  # Without a delay the pool's answer can beat the gateway's read of the client's bytes, and a wait is counted
  # that is scheduling, not a round trip.
  testbed 2 none "$rtt_delay"
  local stack pk wt dst_ns
  for stack in ${stacks//,/ }; do
    links_variant "$stack" && continue
    start_stack "$stack"; start_nginx "$stack"
    dst_ns=$(sink_ns "$stack")
    # A first request warms whatever the stack caches (ARP, TFO cookies, pools); the second is counted.
    # shellcheck disable=SC2046
    in_ns "$(load_ns "$stack")" $(mp "$stack") curl -s -o /dev/null "http://$(sink_ip "$stack")/" || true
    sleep 0.5
    start "$NS_GW" tcpdump-gw tcpdump -i any -tt -n -l -U 'tcp and (net 10.0.0.0/8 or port 80)'
    start "$dst_ns" tcpdump-dst tcpdump -i any -tt -n -l -U 'tcp port 80'
    sleep 1
    # shellcheck disable=SC2046
    in_ns "$(load_ns "$stack")" $(mp "$stack") curl -s -o /dev/null "http://$(sink_ip "$stack")/" || true
    sleep 0.5
    read -r pk wt < <(tool roundtrips --wan "$work/tcpdump-gw.log" --dst "$work/tcpdump-dst.log")
    R[rt-packets,$stack]=$pk R[rt-waits,$stack]=$wt
    log "round trips $stack: $pk packets between the routers, router A waited $wt time(s)"
    stop_stack
  done
}

# ---- 4b. time to first byte of single requests on links with a round-trip time ---------------------------
# What the zero-RTT layers buy a user: one small request at a time, as a browser's first request to a site.
# Each stack's round trips between the routers before the first response byte (kernel: handshake + request;
# a fresh proxied flow: upstream handshake + pipelined request; a pool hit: the request alone) cost 2 x delay
# each here, so the medians show how many there were.
bench_ttfb() {
  testbed 2 20mbit "$rtt_delay"
  local stack i t vals
  for stack in ${stacks//,/ }; do
    links_variant "$stack" && continue
    start_stack "$stack"; start_nginx "$stack"
    warm_up "$stack" "$warm"
    sleep 2  # the pool refills
    # shellcheck disable=SC2046
    in_ns "$(load_ns "$stack")" $(mp "$stack") curl -s -o /dev/null "http://$(sink_ip "$stack")/" || true  # cookies
    sleep 1
    vals=""
    for (( i = 1; i <= singles; i++ )); do
      # shellcheck disable=SC2046
      t=$(in_ns "$(load_ns "$stack")" $(mp "$stack") curl -s -o /dev/null --max-time 10 \
        -w '%{time_starttransfer}' "http://$(sink_ip "$stack")/" || true)
      vals+=" $(awk -v t="$t" 'BEGIN { if (t + 0 == 0) print "-"; else printf "%.2f", t * 1000 }')"
      sleep 0.2  # single requests: the pool refills between them, as between a user's clicks
    done
    R[ttfb,$stack]=$(median_of "$vals" 1)
    log "ttfb $stack (ms):$vals"
    stop_stack
  done
}

# ---- 4c. udp-start: a DNS lookup from a new client socket (issue 21) ------------------------------------------
# Resolvers send every query from a new port, so each lookup is a new UDP session of the gateway: its cost is
# how the session starts (stream carrier: connect + pipelined request and query; with the UDP pool: request and
# query on a warm connection). dig's own "Query time" (ms, from its send to the answer) of 20 lookups one after
# the other, and of a burst of 50 digs at once. kernel = plain routing (no rules, no proxy).
dig_ms() {  # dig_ms NAME: one lookup from the client, its query time in ms or "-"
  in_ns "$NS_CLIENT" dig +tries=1 +time=3 @"$DST_IP" "$1" A 2>/dev/null \
    | sed -n 's/^;; Query time: \([0-9]*\) msec.*/\1/p' | grep . || echo -
}
pct_of() {  # pct_of P VALUES: the P-th percentile (nearest rank) of the numbers among VALUES, or "-"; lookups
  # that got no answer ("-") are counted in the cell, not dropped: "12 (2 of 20 failed)"
  local all ok cell; all=$(printf '%s\n' $2 | grep -c . || true); ok=$(printf '%s\n' $2 | grep -cE '^[0-9.]+$' || true)
  cell=$(printf '%s\n' $2 | grep -E '^[0-9.]+$' | sort -n \
    | awk -v p="$1" '{ a[NR] = $1 } END { if (NR == 0) print "-"; else { i = int(NR * p / 100 + 0.999); print a[i] } }')
  [ "$ok" = "$all" ] || cell+=" ($(( all - ok )) of $all failed)"
  echo "$cell"
}
bench_udp_start() {
  testbed 2 20mbit "$rtt_delay"
  local stack i vals burst answered pids
  for stack in ${stacks//,/ }; do
    case $stack in kernel|mpgw|mpgw-pool|ss) ;; *) continue ;; esac
    stack_udp=1 start_stack "$stack"
    start "$NS_DST" dnsmasq dnsmasq --keep-in-foreground --conf-file=/dev/null --no-resolv --no-hosts \
      --bind-interfaces --listen-address="$DST_IP" --user=root --pid-file= --cache-size=0 --dns-forward-max=1000 \
      --address=/bench.test/192.0.2.1
    for _ in $(seq 100); do [ -n "$(in_ns "$NS_DST" ss -Hlun "sport = :53")" ] && break; sleep 0.1; done
    if [ "$stack" != kernel ]; then
      local uport=12346; [ "$stack" = ss ] && uport=12345  # ss-redir -u: TCP and UDP on one port
      for _ in $(seq 100); do [ -n "$(in_ns "$NS_GW" ss -Hlun "sport = :$uport")" ] && break; sleep 0.1; done
    fi
    for (( i = 1; i <= 20; i++ )); do dig_ms "w$i.bench.test" >/dev/null; done  # warm-up: code, ARP, pool
    sleep 2  # the pool refills
    vals=""
    for (( i = 1; i <= singles; i++ )); do
      vals+=" $(dig_ms "q$i.bench.test")"
      sleep 0.1  # a user's pace: the pool refills between lookups
    done
    R[udp-p50,$stack]=$(pct_of 50 "$vals")
    R[udp-max,$stack]=$(pct_of 100 "$vals")
    log "udp-start $stack lookups (ms):$vals"
    sleep 2
    # Bursts of 50 from one process (benchtool dnsburst): 15 uncounted (the JIT compiles the session path: a
    # router's daemon has run it for hours), then 5 counted, 2 s apart (the pool refills);
    # p95 over the 250 lookups.
    burst=$(in_ns "$NS_CLIENT" python3 "$root/bench/benchtool.py" dnsburst --server "$DST_IP" --name bench.test \
      --count 50 --warm-up 15 --rounds 5 --pause 2)
    answered=$(printf '%s\n' $burst | grep -cE '^[0-9.]+$' || true)
    local p95; p95=$(pct_of 95 "$burst")
    R[udp-burst-p50,$stack]=$(pct_of 50 "$burst"); R[udp-burst-p50,$stack]=${R[udp-burst-p50,$stack]%% (*}
    R[udp-burst-p95,$stack]="${p95%% (*} ($answered of 250 answered)"  # the unanswered counted once
    log "udp-start $stack 5 bursts of 50 (ms): $burst"
    stop_stack
  done
}

# ---- 4d. udp: UDP flows at the link sum, and across a link cut (issue 18) ------------------------------------
# One iperf3 -u flow of 1,200-byte datagrams, client -> destination, at 90 % and 100 % of the link sum; 8 such
# flows (8 client sockets, so 8 sessions) sharing 90 %; and on 2x20 one flow at 40 % of the sum (what one link
# carries) while link 1 is cut for 6 s. Received Mbit/s, loss and jitter are the receiver's (iperf3
# --get-server-output). Stacks: kernel = plain routing (the client's route is link 1, no rules, no proxy),
# mpgw = gateway.udp.mode = stream (FWD UDP inside MPTCP; the default) with mpgw-rules' TPROXY, ss = ss-redir -u
# / ss-server -u (its UDP relay: plain UDP between the routers on router B's first address) with the same
# TPROXY rules pointed at ss-redir's port. Round by round, every stack started afresh each round.
udp_stack() { case $1 in kernel|mpgw|ss) return 0 ;; *) return 1 ;; esac; }

# udp_run OUT [--down-at S] -- IPERF-ARGS...: one iperf3 -u run from the client to the destination; prints
# "Mbit/s loss% jitter-ms gap-s" (gap "-" without --down-at), or "- - - -" when the run failed.
udp_run() {
  local out=$1 down=(); shift
  if [ "$1" = --down-at ]; then down=(--down-at "$2"); shift 2; fi
  shift  # --
  in_ns "$NS_CLIENT" timeout $((secs + 40)) iperf3 -c "$DST_IP" -u -l 1200 -J --get-server-output "$@" \
    >"$out" 2>/dev/null || true
  tool udp "$out" ${down[@]+"${down[@]}"} 2>/dev/null | grep -E '^[0-9]' || echo "- - - -"
}

bench_udp() {
  local topo name links rates sum i stack pct r cut_down cut_up cut_total
  read -r cut_down cut_up cut_total <<<"$udp_cut_times"
  for topo in "2x20:2:20mbit:40" "3x20:3:20mbit:60"; do
    IFS=: read -r name links rates sum <<<"$topo"
    has "$topologies" "$name" || continue
    testbed "$links" "$rates"
    for (( i = 1; i <= runs; i++ )); do
      for stack in ${stacks//,/ }; do
        udp_stack "$stack" || continue
        stack_udp=1 start_stack "$stack"
        start "$NS_DST" iperf3-udp iperf3 -s -J -i 0.1
        wait_port "$NS_DST" 5201
        local uport=; [ "$stack" = mpgw ] && uport=12346; [ "$stack" = ss ] && uport=12345
        if [ -n "$uport" ]; then
          for _ in $(seq 100); do [ -n "$(in_ns "$NS_GW" ss -Hlun "sport = :$uport")" ] && break; sleep 0.1; done
        fi
        for pct in 90 100; do
          r=$(udp_run "$work/udp.json" -- -t "$secs" -b "$(( sum * pct / 100 ))M")
          udp_keep "udp-$name-$pct" "$stack" "$r"
          log "udp $name 1 flow at $pct % ($(( sum * pct / 100 )) Mbit/s) $stack run $i: $r (Mbit/s loss% jitter-ms)"
        done
        # -b is per stream: 8 flows of sum x 0.9 / 8 each.
        r=$(udp_run "$work/udp.json" -- -t "$secs" -P 8 -b "$(( sum * 900 / 8 ))K")
        udp_keep "udp-$name-8" "$stack" "$r"
        log "udp $name 8 flows at 90 % $stack run $i: $r"
        if [ "$name" = 2x20 ]; then
          ( udp_run "$work/udp-cut.json" --down-at "$cut_down" -- -t "$cut_total" -i 0.1 -b "$(( sum * 40 / 100 ))M" \
              >"$work/udp-cut.txt" ) &
          local load=$!
          sleep "$cut_down"; link1_fails carrier
          sleep $(( cut_up - cut_down )); link1_back carrier
          wait "$load" || true
          r=$(cat "$work/udp-cut.txt")
          udp_keep udp-cut "$stack" "$r"
          log "udp 2x20 link 1 cut ${cut_down}-${cut_up} s, 1 flow at 16 Mbit/s, $stack run $i: $r (Mbit/s loss% jitter-ms gap-s)"
        fi
        stop_stack
      done
    done
  done
  for stack in ${stacks//,/ }; do
    for key in udp-2x20-90 udp-2x20-100 udp-2x20-8 udp-3x20-90 udp-3x20-100 udp-3x20-8; do
      [ -n "${V[$key-mbit,$stack]+x}" ] || continue
      R[$key,$stack]=$(tool udpcell "${V[$key-mbit,$stack]}" "${V[$key-loss,$stack]}" "${V[$key-jitter,$stack]}")
    done
    if [ -n "${V[udp-cut-mbit,$stack]+x}" ]; then
      R[udp-cut,$stack]=$(tool udpcell "${V[udp-cut-mbit,$stack]}" "${V[udp-cut-loss,$stack]}" \
        "${V[udp-cut-jitter,$stack]}" --gap "${V[udp-cut-gap,$stack]}")
    fi
  done
  return 0
}
# udp_keep KEY STACK "MBIT LOSS JITTER GAP": one run's values, in round order.
udp_keep() {
  local mbit loss jitter gap; read -r mbit loss jitter gap <<<"$3"
  V[$1-mbit,$2]+=" $mbit" V[$1-loss,$2]+=" $loss" V[$1-jitter,$2]+=" $jitter" V[$1-gap,$2]+=" $gap"
}

# ---- 5. memory with idle flows -------------------------------------------------------------------------
java_heap_kib() {  # used heap after a full GC, summed over the Java daemons in the namespaces
  local total=0 pid used
  for pid in $(ip netns pids "$NS_GW"; ip netns pids "$NS_SRV"); do
    [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = java ] || continue
    jcmd "$pid" GC.run >/dev/null 2>&1 || continue
    # Every generation's "total NK, used NK" line: one for G1, young and tenured for Serial.
    used=$(jcmd "$pid" GC.heap_info 2>/dev/null | sed -nE 's/.* total [0-9]+K, used ([0-9]+)K.*/\1/p' \
      | awk '{ s += $1 } END { print s + 0 }')
    total=$((total + ${used:-0}))
  done
  echo "$total"
}

bench_memory() {
  testbed 2 none
  local stack rss0 rss1 heap0 heap1 opened
  # All the idle flows come from one LAN host: the gateway's flow caps (8,192, and 2,048 per client) are raised
  # to hold them, as an operator expecting that many would.
  local stack_limits=", limits { max-flows = $((idle_flows + 100)), max-flows-per-client = $((idle_flows + 100)) }"
  for stack in ${stacks//,/ }; do
    links_variant "$stack" && continue
    flow_setup_variant "$stack" && continue
    [ "$stack" = kernel ] && { R[mem-rss,$stack]="-"; continue; }
    start_stack "$stack"
    start "$NS_DST" hold-server python3 "$root/bench/benchtool.py" hold-server --port 9000 --seconds 600
    wait_port "$NS_DST" 9000
    sleep 1
    rss0=$(tool rss --ns "$NS_GW" --ns "$NS_SRV" --exclude python3 | cut -d' ' -f1)
    heap0=$(java_heap_kib)
    start "$NS_CLIENT" hold-client python3 "$root/bench/benchtool.py" hold-client --host "$DST_IP" --port 9000 \
      --count "$idle_flows" --timeout 120 --hold 600
    for _ in $(seq 1300); do grep -q '^open' "$work/hold-client.log" 2>/dev/null && break; sleep 0.1; done
    opened=$(sed -n 's/^open //p' "$work/hold-client.log")
    sleep 3
    rss1=$(tool rss --ns "$NS_GW" --ns "$NS_SRV" --exclude python3 | cut -d' ' -f1)
    heap1=$(java_heap_kib)
    R[mem-open,$stack]=${opened:-none}
    R[mem-rss,$stack]=$(python3 -c "print(f'{$rss1:.0f} ({($rss1 - $rss0) * 1024 / max(1, $idle_flows):.1f} KiB/flow)')")
    if [ "$heap1" -gt 0 ]; then
      R[mem-heap,$stack]=$(python3 -c "print(f'{$heap1 / 1024:.0f} MiB ({($heap1 - $heap0) / max(1, $idle_flows):.2f} KiB/flow)')")
    fi
    log "memory $stack: ${opened:-no} flows open; RSS ${rss0} -> ${rss1} MiB; heap ${heap0} -> ${heap1} KiB"
    stop_stack
  done
}

# ---- 6. failover ---------------------------------------------------------------------------------------
# Link 1 of router A fails mid-flow in two ways, each run: "carrier" takes its veth down (testbed.sh link down:
# the carrier goes, the path watcher and the kernel see it at once); "blackhole" drops everything on it in both
# directions with nft while its carrier stays up (a Wi-Fi bridge still associated, a provider gone dark): only
# the kernel's retransmission timeouts, or mpgw-roles' link probes, notice it.
bench_failover() {
  testbed 2 20mbit
  local stack i mode down_at up_at total vs vr back
  read -r down_at up_at total <<<"$fail_times"
  for stack in ${stacks//,/ }; do
    flow_setup_variant "$stack" && continue
    start_stack "$stack"; start_iperf_server "$stack"
    for mode in carrier blackhole; do
      vs="" vr=""
      for (( i = 1; i <= runs; i++ )); do
        # wan1 of router A carries the first subflow; sample its tx bytes every 0.1 s from link-up on.
        # shellcheck disable=SC2046
        ( in_ns "$(load_ns "$stack")" $(mp "$stack") timeout $((total + 30)) iperf3 -c "$(sink_ip "$stack")" -J \
            -t "$total" -i 0.1 --get-server-output >"$work/fail.json" 2>/dev/null || true ) &
        local load=$!
        sleep "$down_at"
        link1_fails "$mode"
        sleep $((up_at - down_at))
        link1_back "$mode"
        back=$(in_ns "$NS_GW" python3 - <<'EOF'
import time
def tx(): return int(open("/sys/class/net/wan1/statistics/tx_bytes").read())
start = time.time(); last = tx()
while time.time() - start < 7.5:
    time.sleep(0.1); now = tx()
    if (now - last) * 8 / 0.1 > 2e6:   # > 2 Mbit/s on the returned link
        print(f"{time.time() - start:.1f}"); break
    last = now
else:
    print("-")
EOF
)
        wait "$load" || true
        read -r st base bytes < <(tool stall "$work/fail.json" --down-at "$down_at" || echo "- - 0")
        vs+=" $st" vr+=" $back"
        log "failover $mode $stack run $i: stall $st s (flow ran at $base Mbit/s before), link 1 used again" \
          "after ${back} s"
      done
      R[fail-$mode-stall,$stack]=$(median_of "$vs")
      R[fail-$mode-back,$stack]=$(median_of "$vr")
    done
    stop_stack
  done
}

# link1_fails carrier|blackhole, link1_back carrier|blackhole: router A's link 1 fails and comes back.
link1_fails() {
  if [ "$1" = carrier ]; then
    bash "$here/testbed.sh" link down 1 --prefix "$P"
  else
    in_ns "$NS_GW" nft -f - <<'EOF'
table inet mpgwbench_blackhole {
  chain in { type filter hook input priority -10; iifname "wan1" drop; }
  chain out { type filter hook output priority -10; oifname "wan1" drop; }
}
EOF
  fi
}
link1_back() {
  if [ "$1" = carrier ]; then
    bash "$here/testbed.sh" link up 1 --prefix "$P"
  else
    in_ns "$NS_GW" nft delete table inet mpgwbench_blackhole
  fi
}

# ---- 6b. backup share ------------------------------------------------------------------------------------
# Link 1 primary, link 2 backup (mpgw-roles) against the kernel and mpgw without roles, both links up: link 2's
# share of router A's bytes in a --seconds transfer each way (rx of wan2 for the download, tx for the upload).
bench_backup() {
  testbed 2 20mbit
  local stack i dir vals a1 a2 b1 b2 side
  for stack in ${stacks//,/ }; do
    flow_setup_variant "$stack" && continue
    start_stack "$stack"; start_iperf_server "$stack"
    sleep 1  # mpgw-roles: the first probes answered, the roles set (they are set before the gateway listens)
    for dir in up down; do
      side=tx; [ "$dir" = down ] && side=rx
      vals=""
      for (( i = 1; i <= runs; i++ )); do
        a1=$(in_ns "$NS_GW" cat /sys/class/net/wan1/statistics/${side}_bytes)
        a2=$(in_ns "$NS_GW" cat /sys/class/net/wan2/statistics/${side}_bytes)
        iperf_run "$stack" "$work/backup.json" -t "$secs" $([ $dir = down ] && echo -R) >/dev/null
        b1=$(in_ns "$NS_GW" cat /sys/class/net/wan1/statistics/${side}_bytes)
        b2=$(in_ns "$NS_GW" cat /sys/class/net/wan2/statistics/${side}_bytes)
        vals+=" $(python3 -c "print(f'{100 * ($b2 - $a2) / max(1, $b1 - $a1 + $b2 - $a2):.2f}')")"
        log "backup $dir $stack run $i: link 2 carried ${vals##* } % of the bytes"
      done
      R[backup-$dir,$stack]=$(median_of "$vals" 2)
    done
    stop_stack
  done
}

# ---- 5b. share of link 2 --------------------------------------------------------------------------------
# A fresh flow's 1 MB download over 2 x 20 Mbit/s: how much of it link 2 carried (rx bytes of router A's wan2).
# A new MPTCP connection opens its second subflow only after its first data; a pooled one has it already.
# That costs a fresh flow a few round trips on link 1 alone, so the difference shows only with a delay.
bench_share() {
  testbed 2 20mbit "$rtt_delay"
  local stack i vals a1 a2 b1 b2
  for stack in ${stacks//,/ }; do
    links_variant "$stack" && continue
    [ "$stack" = kernel ] && continue
    start_stack "$stack"; start_nginx "$stack"
    head -c 1048576 /dev/zero >"$work/www/1m"
    in_ns "$NS_CLIENT" curl -s -o /dev/null "http://$DST_IP/" || true  # warm-up (JIT, ARP, cookies)
    sleep 1
    vals=""
    for (( i = 1; i <= runs; i++ )); do
      a1=$(in_ns "$NS_GW" cat /sys/class/net/wan1/statistics/rx_bytes)
      a2=$(in_ns "$NS_GW" cat /sys/class/net/wan2/statistics/rx_bytes)
      in_ns "$NS_CLIENT" curl -s -o /dev/null "http://$DST_IP/1m" || true
      b1=$(in_ns "$NS_GW" cat /sys/class/net/wan1/statistics/rx_bytes)
      b2=$(in_ns "$NS_GW" cat /sys/class/net/wan2/statistics/rx_bytes)
      vals+=" $(( 100 * (b2 - a2) / (b1 - a1 + b2 - a2 + 1) ))"
      log "share $stack run $i: link 2 carried${vals##* } % of a fresh 1 MB download"
      sleep 1
    done
    R[share-2,$stack]=$(median_of "$vals" 0)
    stop_stack
  done
}

# ---- 12. JIT warm-up: time to the first flow, and flows/s second by second from a cold start --------------
# Issue 18, item 2. The mpgw stack from the distribution's jars (packaging/target/dist: class-data sharing and the
# AOT cache take a class path of jars only) on four JVM set-ups, round by round: jdk17 (Debian's JDK, the routers'
# JVM, without class-data sharing), jdk17-cds (the same with bin/mpgw's class-data sharing: a static AppCDS archive
# per daemon, made from the class list its first start recorded), jdk25 (the newer JDK of this machine,
# BENCH_JDK25) and jdk25-aot (JDK 25 with an AOT cache per daemon, JEP 483/514/515: classes loaded and linked, and
# method profiles, written as the JVM of a training run exits). A training run is the setup part's warm-up load.
warm_secs=30
jdk25=${BENCH_JDK25:-/usr/lib/jvm/temurin-25-jdk-amd64}
WARM_VARIANTS=()
declare -A WARM  # WARM[figure,variant]: per-round values like V

# warm_jvm VARIANT [train]: the env assignments (JAVA, MPGW_JAVA_OPTS; @D@ = server or gateway) of a variant's
# daemons, for its measured runs or its training run.
warm_jvm() {
  case "$1:${2:-}" in
    jdk17:*) echo "JAVA=java MPGW_CDS=off" ;;
    jdk17-cds:*) echo "JAVA=java MPGW_CDS_DIR=$work/cds" ;;  # the launcher's own (bin/mpgw cds_opts)
    jdk25:*) echo "JAVA=$jdk25/bin/java MPGW_CDS=off" ;;
    jdk25-aot:train) echo "JAVA=$jdk25/bin/java MPGW_CDS=off MPGW_JAVA_OPTS=-XX:AOTCacheOutput=$work/aot-@D@.aot" ;;
    jdk25-aot:) echo "JAVA=$jdk25/bin/java MPGW_CDS=off MPGW_JAVA_OPTS=-XX:AOTCache=$work/aot-@D@.aot" ;;
  esac
}

# The distribution, rebuilt when the modules' classes are newer than its jars (a figure must be the checkout's).
warm_dist() {
  dist=$(ls -d "$root"/packaging/target/dist/mpgw-*/ 2>/dev/null | head -1)
  if [ -z "$dist" ] || [ -n "$(find "$root"/{common,gateway,socks-server,jni}/target/classes -newer \
      "$dist/lib/$(basename "$(ls "$dist"/lib/mpgw-gateway-*.jar 2>/dev/null | head -1)")" -type f 2>/dev/null \
      | head -1)" ]; then
    log "warmup: building the distribution (mvn -q -DskipTests package)"
    (cd "$root" && mvn -B -ntp -q -DskipTests package) >&2 || { echo "bench: build failed" >&2; exit 2; }
    dist=$(ls -d "$root"/packaging/target/dist/mpgw-*/ | head -1)
  fi
  dist=${dist%/}
}

# warm_train VARIANT: the training run of a variant that has one; the variant is dropped if it wrote no archive.
# jdk17-cds is the launcher's class-data sharing as a router gets it: the first start records the class list
# (here under the warm-up load), the second makes the archive before it starts the JVM.
warm_train() {
  local v=$1 jvm pid d
  jvm=$(warm_jvm "$v" train)
  if [ "$v" = jdk17-cds ]; then
    mkdir -p "$work/cds"
    start_nginx mpgw
    stack_root=$dist stack_jvm=$jvm start_stack mpgw
    warm_up mpgw "$warm"
    stop_stack
    stack_root=$dist stack_jvm=$jvm start_stack mpgw
    stop_stack
    for d in socks-server gateway; do
      if ! ls "$work/cds/$d"-*.jsa >/dev/null 2>&1; then
        log "warmup $v: the launcher made no archive for $d in $work/cds; variant left out"; return 1
      fi
      log "warmup $v: $d archive $(( $(stat -c %s "$work/cds/$d"-*.jsa) / 1048576 )) MiB"
    done
    return 0
  fi
  [[ "$jvm" == *Output=* ]] || return 0
  start_nginx mpgw
  stack_root=$dist stack_jvm=$jvm start_stack mpgw
  warm_up mpgw "$warm"
  # The JVMs write the archive as they exit (JDK 25 assembles its cache in a child JVM): up to 2 min each.
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 1200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  done
  stop_stack
  for d in server gateway; do
    local f; f=$(sed -nE 's/.*=([^ ]*@D@[^ ]*).*/\1/p' <<<"$jvm"); f=${f//@D@/$d}
    if ! [ -s "$f" ]; then
      log "warmup $v: the training run wrote no $f; variant left out (logs: $work/$d.log)"
      tail -n 5 "$work/$d.log" >&2 || true
      return 1
    fi
    log "warmup $v: $d archive $(( $(stat -c %s "$f") / 1048576 )) MiB"
  done
}

# warm_run VARIANT ROUND: a cold start, then warm_secs one-second wrk runs back to back.
warm_run() {
  local v=$1 i=$2 t0 t1 k rps requests total=0 vals="" u0 s0 u1 s1 first listen
  start_nginx mpgw
  stack_root=$dist stack_jvm=$(warm_jvm "$v") start_stack mpgw
  # Time 0 is the socks-server's launch (/proc start time, 10 ms ticks; the gateway follows within ms): the
  # rule install of start_stack is inside the figure, the same for every variant.
  t0=$(python3 -c "
import os
btime = next(int(l.split()[1]) for l in open('/proc/stat') if l.startswith('btime'))
ticks = int(open('/proc/${PIDS[-2]}/stat').read().rsplit(')', 1)[1].split()[19])
print(btime + ticks / os.sysconf('SC_CLK_TCK'))")
  t1=$(date +%s.%N)  # start_stack returned: both daemons listen (polled every 100 ms) and the rules are in
  listen=$(python3 -c "print(f'{($t1 - $t0) * 1000:.0f}')")
  for _ in $(seq 1500); do  # 30 s at most
    in_ns "$NS_CLIENT" curl -s -m 2 -o /dev/null "http://$DST_IP/" && break
    sleep 0.02
  done
  t1=$(date +%s.%N)
  first=$(python3 -c "print(f'{($t1 - $t0) * 1000:.0f}')")
  read -r u0 s0 < <(tool cpu --split --ns "$NS_GW" --ns "$NS_SRV" --exclude wrk --exclude nginx)
  for (( k = 1; k <= warm_secs; k++ )); do
    in_ns "$NS_CLIENT" timeout 20 wrk -t 2 -c 32 -d 1s --latency -H 'Connection: close' "http://$DST_IP/" \
      >"$work/wrk.txt" 2>&1 || true
    read -r rps _ _ requests _ _ < <(tool wrk "$work/wrk.txt" || echo "- - - 0 - 0")
    vals+=" $rps" total=$(( total + requests ))
  done
  read -r u1 s1 < <(tool cpu --split --ns "$NS_GW" --ns "$NS_SRV" --exclude wrk --exclude nginx)
  stop_stack
  local fig
  fig=$(python3 - "$vals" "$first" "$u0" "$u1" "$total" "$listen" <<'PY'
import statistics, sys
vals = [float(x) if x != "-" else 0.0 for x in sys.argv[1].split()]
first, u0, u1, total, listen = sys.argv[2], float(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
mean = lambda a, b: f"{statistics.mean(vals[a - 1:b]):.0f}" if len(vals) >= b else "n/a"  # --quick: 5 s
steady = statistics.median(vals[-10:]) if len(vals) >= 10 else statistics.median(vals)
t90 = next((k + 1 for k, v in enumerate(vals) if v >= 0.9 * steady), len(vals))
cpu = f"{(u1 - u0) * 1e6 / total:.0f}" if total else "-"
print(listen, first, mean(1, 5), mean(6, 10), mean(11, 20), mean(21, 30), t90, cpu)
PY
)
  local names=(listen first w1 w2 w3 w4 t90 user) n=0 x
  for x in $fig; do WARM[${names[$n]},$v]+=" $x"; n=$(( n + 1 )); done
  log "warmup $v run $i: listening after $listen ms, first flow after $first ms; flows/s by second:$vals; user CPU per flow ${fig##* } µs"
}

bench_warmup() {
  [ "$quick" = 1 ] && warm_secs=5
  warm_dist
  setup_testbed
  local v i x
  for v in jdk17 jdk17-cds jdk25 jdk25-aot; do
    if [[ $v == jdk25* ]] && ! [ -x "$jdk25/bin/java" ]; then
      log "warmup: no JDK 25 at $jdk25 (BENCH_JDK25): $v left out"; continue
    fi
    warm_train "$v" && WARM_VARIANTS+=("$v")
  done
  for (( i = 1; i <= runs; i++ )); do
    for v in "${WARM_VARIANTS[@]}"; do warm_run "$v" "$i"; done
  done
  for v in "${WARM_VARIANTS[@]}"; do
    for x in listen first w1 w2 w3 w4 t90 user; do
      if [[ "${WARM[$x,$v]:-}" == *n/a* ]]; then WARM[$x,$v]="n/a (--quick)"; continue; fi
      WARM[$x,$v]=$(median_of "${WARM[$x,$v]:-}" 0)
    done
    cfg_note "warmup-$v" "daemons from $dist (jars), $(warm_jvm "$v" | sed "s|$work|\$WORK|g")"
    local t; t=$(warm_jvm "$v" train)
    [[ "$t" == *Output=* ]] && cfg_note "warmup-$v" "training run: $t, the setup part's warm-up load ($warm s), SIGTERM"
    [ "$v" != jdk17-cds ] || cfg_note "warmup-$v" "training: a start under the setup part's warm-up load ($warm s) records the class lists, a second start makes the archives (bin/mpgw)"
  done
}

# The warm-up part's own table: one row per JVM set-up.
warm_table() {
  [ "${#WARM_VARIANTS[@]}" -gt 0 ] || return 0
  echo
  echo "JIT warm-up (part warmup): the mpgw stack started cold, then ${warm_secs} one-second wrk runs back to back"
  echo "(wrk -t 2 -c 32, Connection: close, one unshaped link); medians of $runs round(s), variants interleaved."
  echo
  echo "| JVM | launch to both daemons listening, ms | launch to first proxied flow, ms | flows/s, s 1-5 | s 6-10 | s 11-20 | s 21-30 | first second at >= 90 % of s 21-30 | user CPU per flow over the ${warm_secs} s, µs (both routers) |"
  echo "|---|---|---|---|---|---|---|---|---|"
  local v
  for v in "${WARM_VARIANTS[@]}"; do
    echo "| $v | ${WARM[listen,$v]} | ${WARM[first,$v]} | ${WARM[w1,$v]} | ${WARM[w2,$v]} | ${WARM[w3,$v]} | ${WARM[w4,$v]} | ${WARM[t90,$v]} | ${WARM[user,$v]} |"
  done
}

started=$(date -u '+%Y-%m-%d %H:%M UTC')
log "work dir $work; stacks $stacks; runs $runs x ${secs}s"
for part in aggregation cpu setup roundtrips ttfb share udp memory failover backup udp-start warmup; do
  if has "$only" "$part"; then log "== $part"; "bench_${part//-/_}"; fi
done

# ---- the table -----------------------------------------------------------------------------------------
row() {  # row LABEL KEY [TARGET]
  local line="| $1 |" stack
  for stack in ${stacks//,/ }; do line+=" ${R[$2,$stack]:--} |"; done
  echo "$line ${3:-} |"
}
table() {
  local head="| figure |" sep="|---|" stack
  for stack in ${stacks//,/ }; do head+=" $stack |"; sep+="---|"; done
  echo "Command: \`bin/mpgw bench${args:+ $args}\`  "
  echo "$commit_line  "
  echo "Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/2^20}' /proc/meminfo), kernel $(uname -r), $(java -version 2>&1 | sed -n 1p)  "
  echo "Date: $started. Medians of $runs run(s), a failed run counted in its cell (\"(1 of 3 runs failed)\"), never dropped silently. Stacks: kernel = MPTCP between the routers without a proxy;"
  echo "ss = ss-redir/ss-server (aes-128-gcm); redsocks = redsocks/Dante; the C daemons are made MPTCP with mptcpize."
  echo "mpgw-pool = mpgw with a warm pool of 8 upstream connections; mpgw-tfo = mpgw with TCP Fast Open on both routers (and router A's tcp_rmem default at 1 MiB)."
  echo "mpgw-roles = mpgw with gateway.links: link 1 primary, link 2 backup, both probed (200 ms; down after 3 lost, up after 10 answered)."
  echo "mpgw-tls = mpgw with TLS 1.3 between the routers (pinned keys, provider openssl); mpgw-tls-pool = mpgw-tls with the pool of 8."
  if has "$only" udp || has "$only" udp-start; then
    echo "UDP parts: kernel = plain routing from the client to the destination (router A routes to router B over link 1; no rules, no proxy); ss = ss-redir -u / ss-server -u (UDP relay over link 1, plain UDP)."
  fi
  echo "Link delay (testbed.sh --delay, one way, per link): $([ -n "$delay" ] && echo "$delay ms" || echo none) in setup; $rtt_delay ms in roundtrips, ttfb and share."
  echo
  echo "$head target |"
  echo "$sep---|"
  if has "$only" aggregation; then
    for t in ${topologies//,/ }; do
      row "aggregation $t, Mbit/s, client -> destination" "agg-$t-up" ">= kernel"
      row "aggregation $t, Mbit/s, destination -> client" "agg-$t-down" ">= kernel"
    done
  fi
  if has "$only" cpu; then
    row "1 flow, unshaped link, Mbit/s" cpu-1 ">= 1.5x ss, >= 3x redsocks; mpgw-tls >= 2x ss"
    has "$stacks" ss && row "1 flow, unshaped link: x ss, median of the rounds' ratios" cpu-ratio ""
    row "8 flows, unshaped link, Mbit/s" cpu-8 ""
    row "proxy CPU s per GB, 1 flow" cpugb-1 "mpgw-tls <= 0.5x ss"
    row "proxy CPU s per GB, 8 flows" cpugb-8 ""
  fi
  if has "$only" setup; then
    row "new flows/s (wrk, Connection: close)" setup-rps ">= 2x ss; mpgw-tls-pool >= ss"
    has "$stacks" ss && row "new flows/s: x ss, median of the rounds' ratios" setup-ratio ">= 1.3x"
    row "time to first byte p50, ms" setup-p50 "<= 10"
    row "time to first byte p99, ms" setup-p99 ""
    row "proxies' CPU per flow in user space, µs (both routers)" setup-user ""
    row "proxies' CPU per flow in the kernel, µs (both routers)" setup-sys ""
  fi
  if has "$only" roundtrips; then
    row "packets between routers before the first payload byte" rt-packets ""
    row "router A waits for router B before it" rt-waits "0 with pool/TFO"
  fi
  if has "$only" ttfb; then
    row "time to first byte of one request, 2 x 20 Mbit/s, $rtt_delay ms each way, median of $singles, ms" ttfb \
      "pool < no pool; mpgw-tls-pool <= mpgw"
  fi
  if has "$only" share; then
    row "share of a fresh flow's 1 MB download on link 2, %" share-2 "pool > no pool"
  fi
  if has "$only" udp-start; then
    row "DNS lookup from a new client socket, $rtt_delay ms each way, median of $singles, ms (kernel: plain routing)" udp-p50 \
      "<= 1.25x kernel with pool, <= 2.2x without"
    row "DNS lookup from a new client socket, max of $singles, ms" udp-max ""
    row "5 bursts of 50 DNS lookups at once (one process, new sockets), p50, ms" udp-burst-p50 ""
    row "the same, p95, ms" udp-burst-p95 "<= 2x kernel, all answered"
  fi
  if has "$only" udp; then
    for t in 2x20 3x20; do
      has "$topologies" "$t" || continue
      local s=$(( ${t%%x*} * 20 ))
      row "UDP $t: 1 flow at 90 % of the link sum ($(( s * 9 / 10 )) Mbit/s, 1,200-byte datagrams)" "udp-$t-90" \
        ">= $(( s * 9 / 10 )) Mbit/s at <= 1 % loss"
      row "UDP $t: 1 flow at 100 % of the link sum ($s Mbit/s)" "udp-$t-100" ""
      row "UDP $t: 8 flows sharing 90 % of the link sum" "udp-$t-8" ">= $(( s * 9 / 10 )) Mbit/s at <= 1 % loss"
    done
    local cd cu ct; read -r cd cu ct <<<"$udp_cut_times"
    has "$topologies" 2x20 && row "UDP 2x20: 1 flow at 16 Mbit/s, link 1 cut for $(( cu - cd )) s (at $cd s of $ct)" \
      udp-cut "gap <= 1 s"
  fi
  if has "$only" memory; then
    row "idle flows opened (of $idle_flows)" mem-open ""
    row "RSS of the daemons, MiB, with the idle flows" mem-rss ""
    row "Java heap used after GC with the idle flows" mem-heap "<= 10 KiB/flow"
  fi
  if has "$only" failover; then
    row "stall when link 1 loses its carrier mid-flow, s" fail-carrier-stall "<= kernel + 0.2"
    row "link 1 carries traffic again after its carrier is back, s" fail-carrier-back "<= 2"
    row "stall when link 1 is blackholed mid-flow (carrier up), s" fail-blackhole-stall "<= 2, mpgw-roles"
    row "link 1 carries traffic again after the blackhole ends, s" fail-blackhole-back "<= 5, mpgw-roles"
  fi
  if has "$only" backup; then
    row "link 2's share with both links up, upload, % (mpgw-roles: link 2 is the backup)" backup-up \
      "<= 2, mpgw-roles"
    row "link 2's share with both links up, download, %" backup-down "<= 2, mpgw-roles"
  fi
}
# configs: under the table, the exact configuration of each stack that ran (files and command lines as generated).
configs() {
  local stack
  [ "${#CFG_ORDER[@]}" -gt 0 ] || return 0
  echo
  echo "Configuration of each stack in this run (as bin/bench.sh generated it; every other key at its default):"
  echo
  echo '```'
  for stack in "${CFG_ORDER[@]}"; do
    printf '%s\n' "${CFG[$stack]%$'\n'}" | sed "s|$work|\$WORK|g; s|^|$stack: |"
  done
  echo '```'
}
out=$(table; warm_table; configs)
echo "$out"
if [ "$quick" = 1 ]; then
  # The smoke's one check: every run produced its number. Figures are not judged here.
  failed_cells=$(grep -c '^|.*failed)' <<<"$out" || true)  # table rows only, not the header's explanation
  if [ "$failed_cells" -gt 0 ]; then
    log "quick: $failed_cells table row(s) with failed runs (see the '(N of M runs failed)' cells)"
    exit 1
  fi
  log "quick: every run produced its figure"
fi
if [ "$write" = 1 ] && [ "$quick" = 0 ]; then
  doc="$root/docs/BENCHMARKS.md"
  python3 - "$doc" "$out" <<'EOF'
import sys
path, table = sys.argv[1], sys.argv[2]
begin, end = "<!-- bench:begin -->", "<!-- bench:end -->"
text = open(path).read() if __import__("os").path.exists(path) else "# Benchmarks\n"
block = f"{begin}\n{table}\n{end}"
if begin in text and end in text:
    text = text[:text.index(begin)] + block + text[text.index(end) + len(end):]
else:
    text = text.rstrip("\n") + "\n\n## bin/mpgw bench\n\n" + block + "\n"
open(path, "w").write(text)
EOF
  log "table written to docs/BENCHMARKS.md"
fi
