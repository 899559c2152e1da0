#!/usr/bin/env bash
# testbed.sh: a throwaway two-router network in network namespaces, for the demo, the benchmarks and
# the end-to-end tests.
#
#   ${P}client --LAN-- ${P}gw ==link 1..N (tbf-shaped)== ${P}srv --- ${P}dst
#   192.168.70.2   .70.1 | 10.i.i.1            10.i.i.2 | .80.1     192.168.80.2
#
# With --delay every link runs through a userspace delay line (bench/delayline.c) in one more namespace,
# because this kernel has no netem qdisc:  gw wanI --veth-- ${P}dly gwI [delayline] srvI --veth-- srv wanI.
# The delay namespace has no addresses: the routers still see one Ethernet segment per link.
#
# gw is router A (where the gateway runs), srv is router B (where the socks-server runs), dst is the
# destination. Plain routing works end to end without mpgw: the client's default route is gw, gw reaches
# dst's subnet via srv on link 1, srv reaches the LAN back via link 1. srv announces its link 2..N
# addresses as MPTCP 'signal' endpoints, so an MPTCP connection from gw to srv's link-1 address gets
# one extra subflow per extra link.
set -euo pipefail
here=$(cd "$(dirname "$(readlink -f "$0")")" && pwd)
root=$(dirname "$here")

usage() {
  cat <<'USAGE'
usage: testbed.sh up   [--prefix P] [--links N] [--rate R[,R2,...]] [--delay MS[,MS2,...]] [--ipv6]
                       [--env FILE]
       testbed.sh down [--prefix P]
       testbed.sh link down|up N [--prefix P]
       testbed.sh env  [--prefix P]

  --prefix P   namespace name prefix (default 'mpgw-'): namespaces Pclient, Pgw, Psrv, Pdst
  --links N    number of gw<->srv links, 1-8 (default 2)
  --rate R     tbf rate of every link, or one rate per link separated by commas (the last one repeats);
               tc units such as 20mbit; 'none' leaves the links unshaped (default 20mbit)
  --delay MS   one-way delay of every link in milliseconds (fractions allowed), or one per link separated by
               commas (the last one repeats); each link then crosses a delay line (bench/delayline.c, compiled
               into /run/mpgw-testbed/bin on first use) in namespace Pdly, so its round trip is 2 x MS plus
               microseconds. 'none' (default): direct links, no Pdly namespace
  --ipv6       also give every interface an IPv6 address (fd70::/64 LAN, fd00:i::/64 links, fd80::/64)
  --env FILE   write the KEY=VALUE description to FILE instead of stdout

up      builds the testbed (after a 'down' of the same prefix); prints KEY=VALUE lines (CLIENT_IP,
        GW_LAN_IP, SRV_IP, SRV_IPS, DST_IP, NS_CLIENT, ...) on stdout or to --env, a summary on stderr
down    ends the testbed's delay lines (by their recorded PIDs) and deletes the namespaces of the prefix;
        succeeds when they do not exist
link    takes gw's end of link N down (the peer loses carrier) or brings it back and restores the
        routes that used it; with --delay also the delay namespace's end facing srv, so srv loses carrier
env     prints the KEY=VALUE description of a running testbed
USAGE
}

die() { echo "testbed.sh: $*" >&2; exit 2; }

prefix=mpgw-
links=2
rates=20mbit
delays=none
ipv6=0
env_file=
state_dir=/run/mpgw-testbed

parse_common() {
  while [ $# -gt 0 ]; do
    case "$1" in
      --prefix) [ $# -ge 2 ] || die "--prefix needs a value"; prefix=$2; shift ;;
      --links) [ $# -ge 2 ] || die "--links needs a value"; links=$2; shift ;;
      --rate) [ $# -ge 2 ] || die "--rate needs a value"; rates=$2; shift ;;
      --delay) [ $# -ge 2 ] || die "--delay needs a value"; delays=$2; shift ;;
      --ipv6) ipv6=1 ;;
      --env) [ $# -ge 2 ] || die "--env needs a value"; env_file=$2; shift ;;
      -h|--help) usage; exit 0 ;;
      *) die "unknown argument '$1' (see --help)" ;;
    esac
    shift
  done
  [[ $prefix =~ ^[A-Za-z0-9_.-]{0,40}$ ]] || die "--prefix may hold letters, digits, '_', '.', '-' (at most 40)"
  # tc reads a bare number as bits per second: "--rate 20" would shape every link to 20 bit/s.
  local rate_re='(none|[0-9]+(\.[0-9]+)?([kKmMgGtT]?[bB]it|[kKmMgGtT]?[bB]ps))'
  if ! [[ $rates =~ ^$rate_re(,$rate_re)*$ ]]; then
    die "--rate must be 'none' or a tc rate with its unit per link, e.g. 20mbit or 30mbit,10mbit (got '$rates')"
  fi
  if [ "$delays" != none ] && ! [[ $delays =~ ^[0-9]+(\.[0-9]+)?(,[0-9]+(\.[0-9]+)?)*$ ]]; then
    die "--delay must be 'none' or milliseconds per link, e.g. 10 or 10,40 (got '$delays')"
  fi
  if ! [[ $links =~ ^[0-9]+$ ]] || [ "$links" -lt 1 ] || [ "$links" -gt 8 ]; then die "--links must be 1-8"; fi
  ns_client=${prefix}client
  ns_gw=${prefix}gw
  ns_srv=${prefix}srv
  ns_dst=${prefix}dst
  ns_dly=${prefix}dly
}

# awk reads all of its input: `cmd | grep -q` under pipefail fails when grep exits before cmd's last write.
ns_exists() { ip netns list | awk -v ns="$1" '$1 == ns { found = 1 } END { exit !found }'; }
in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

# nth_of LIST I: item I (1-based) of a comma-separated list; the last item repeats.
nth_of() {
  local list; IFS=, read -r -a list <<<"$1"
  local n=${#list[@]}
  if [ "$2" -le "$n" ]; then echo "${list[$(( $2 - 1 ))]}"; else echo "${list[$(( n - 1 ))]}"; fi
}
rate_of() { nth_of "$rates" "$1"; }    # the tbf rate of link I (1-based)
delay_of() { nth_of "$delays" "$1"; }  # the one-way delay of link I, ms

# The delay line, compiled on first use; the binary's name holds a hash of the source, so an edited source
# (or another checkout's) gets its own binary and concurrent testbeds never overwrite one in use.
delayline_bin() {
  local src=$root/bench/delayline.c hash bin
  [ -f "$src" ] || die "--delay needs $src (in the source tree, not in the distribution)"
  hash=$(sha256sum "$src" | cut -c1-16)
  bin=$state_dir/bin/delayline-$hash
  if [ ! -x "$bin" ]; then
    command -v gcc >/dev/null || die "--delay needs gcc to compile $src"
    mkdir -p "$state_dir/bin"
    gcc -O2 -Wall -o "$bin.$$" "$src" || die "compiling $src failed"
    mv -f "$bin.$$" "$bin"
  fi
  echo "$bin"
}

# Ends the delay lines this testbed started: only the recorded PIDs, and only while they still run the delay
# line (a PID reused by another program is left alone).
stop_delay_lines() {
  local pids=$state_dir/${prefix}.dly.pids pid alive=()
  [ -f "$pids" ] || return 0
  for pid in $(cat "$pids"); do
    if [[ $(cat "/proc/$pid/comm" 2>/dev/null) == delayline* ]]; then
      kill -TERM "$pid" 2>/dev/null && alive+=("$pid")
    fi
  done
  for pid in ${alive[@]+"${alive[@]}"}; do
    for _ in $(seq 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  rm -f "$pids"
}

down() {
  local ns
  stop_delay_lines
  for ns in "$ns_client" "$ns_gw" "$ns_srv" "$ns_dst" "$ns_dly"; do
    # Deleting a namespace deletes its veth ends, and with them the peers in the other namespaces.
    if ns_exists "$ns"; then ip netns delete "$ns"; fi
  done
  rm -f "$state_dir/${prefix}.env" "$state_dir/${prefix}".dly-link*.log
}

# Sysctls of a fresh namespace follow the host's defaults, which may include strict rp_filter.
router_sysctls() {
  in_ns "$1" sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
  in_ns "$1" sysctl -qw net.ipv6.conf.all.forwarding=1 net.ipv6.conf.all.keep_addr_on_down=1
}

addr6() { [ "$ipv6" = 1 ] || return 0; in_ns "$1" ip -6 addr add "$2" dev "$3" nodad; }

shape() {
  local ns=$1 dev=$2 rate=$3
  [ "$rate" = none ] && return 0
  in_ns "$ns" tc qdisc replace dev "$dev" root tbf rate "$rate" burst 32kb latency 50ms
}

# Routes through link 1; 'replace' keeps this idempotent, so 'link up 1' can call it again.
link1_routes() {
  in_ns "$ns_gw" ip route replace 192.168.80.0/24 via 10.1.1.2 dev wan1
  in_ns "$ns_srv" ip route replace 192.168.70.0/24 via 10.1.1.1 dev wan1
  if [ "$ipv6" = 1 ]; then
    in_ns "$ns_gw" ip -6 route replace fd80::/64 via fd00:1::2 dev wan1
    in_ns "$ns_srv" ip -6 route replace fd70::/64 via fd00:1::1 dev wan1
  fi
}

up() {
  command -v tc >/dev/null || die "'tc' (iproute2) not found"
  local dl_bin=
  if [ "$delays" != none ]; then dl_bin=$(delayline_bin) || exit 2; fi
  down
  local ns i all_ns=("$ns_client" "$ns_gw" "$ns_srv" "$ns_dst")
  [ "$delays" = none ] || all_ns+=("$ns_dly")
  for ns in "${all_ns[@]}"; do
    ip netns add "$ns"
    in_ns "$ns" ip link set lo up
    # No duplicate address detection: addresses (link-local ones too) work as soon as 'up' returns.
    in_ns "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
  done
  trap 'down' ERR
  router_sysctls "$ns_gw"
  router_sysctls "$ns_srv"
  in_ns "$ns_client" sysctl -qw net.ipv6.conf.all.keep_addr_on_down=1
  # The delay namespace only carries frames: without IPv6 its interfaces send nothing of their own.
  [ "$delays" = none ] ||
    in_ns "$ns_dly" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1

  # LAN: client eth0 <-> gw lan0
  in_ns "$ns_gw" ip link add lan0 type veth peer name eth0 netns "$ns_client"
  in_ns "$ns_gw" ip addr add 192.168.70.1/24 dev lan0
  in_ns "$ns_client" ip addr add 192.168.70.2/24 dev eth0
  addr6 "$ns_gw" fd70::1/64 lan0
  addr6 "$ns_client" fd70::2/64 eth0
  in_ns "$ns_gw" ip link set lan0 up
  in_ns "$ns_client" ip link set eth0 up
  in_ns "$ns_client" ip route add default via 192.168.70.1
  [ "$ipv6" = 0 ] || in_ns "$ns_client" ip -6 route add default via fd70::1

  # WAN links: gw wanI <-> srv wanI, 10.I.I.0/24, shaped on both ends' egress; with --delay through
  # dly gwI [delay line] srvI
  for (( i = 1; i <= links; i++ )); do
    if [ "$delays" = none ]; then
      in_ns "$ns_gw" ip link add "wan$i" type veth peer name "wan$i" netns "$ns_srv"
    else
      in_ns "$ns_gw" ip link add "wan$i" type veth peer name "gw$i" netns "$ns_dly"
      in_ns "$ns_srv" ip link add "wan$i" type veth peer name "srv$i" netns "$ns_dly"
      in_ns "$ns_dly" ip link set "gw$i" up
      in_ns "$ns_dly" ip link set "srv$i" up
      start_delay_line "$dl_bin" "$i"
    fi
    in_ns "$ns_gw" ip addr add "10.$i.$i.1/24" dev "wan$i"
    in_ns "$ns_srv" ip addr add "10.$i.$i.2/24" dev "wan$i"
    addr6 "$ns_gw" "fd00:$i::1/64" "wan$i"
    addr6 "$ns_srv" "fd00:$i::2/64" "wan$i"
    in_ns "$ns_gw" ip link set "wan$i" up
    in_ns "$ns_srv" ip link set "wan$i" up
    shape "$ns_gw" "wan$i" "$(rate_of "$i")"
    shape "$ns_srv" "wan$i" "$(rate_of "$i")"
  done

  # Destination: srv out0 <-> dst eth0
  in_ns "$ns_srv" ip link add out0 type veth peer name eth0 netns "$ns_dst"
  in_ns "$ns_srv" ip addr add 192.168.80.1/24 dev out0
  in_ns "$ns_dst" ip addr add 192.168.80.2/24 dev eth0
  addr6 "$ns_srv" fd80::1/64 out0
  addr6 "$ns_dst" fd80::2/64 eth0
  in_ns "$ns_srv" ip link set out0 up
  in_ns "$ns_dst" ip link set eth0 up
  in_ns "$ns_dst" ip route add default via 192.168.80.1
  [ "$ipv6" = 0 ] || in_ns "$ns_dst" ip -6 route add default via fd80::1

  link1_routes
  [ "$delays" = none ] || await_delay_lines

  # MPTCP: srv announces its extra links; gw accepts the announcements (no endpoints of its own).
  # With --ipv6 every extra link is announced twice (one address per family); count both.
  local accepted=$(( ipv6 == 1 ? 2 * links : links ))
  (( accepted <= 8 )) || accepted=8
  local limit=$(( accepted + 1 > 8 ? 8 : accepted + 1 ))
  local wan_args=()
  for (( i = 2; i <= links; i++ )); do wan_args+=(--wan "wan$i"); done
  in_ns "$ns_srv" bash "$root/iptables/mpgw-endpoints" --role server ${wan_args[@]+"${wan_args[@]}"} \
    --subflows "$limit" --add-addr-accepted "$accepted" >/dev/null
  in_ns "$ns_gw" bash "$root/iptables/mpgw-endpoints" --role gateway \
    --subflows "$limit" --add-addr-accepted "$accepted" >/dev/null
  trap - ERR

  mkdir -p "$state_dir"
  describe >"$state_dir/${prefix}.env"
  if [ -n "$env_file" ]; then cp "$state_dir/${prefix}.env" "$env_file"; else cat "$state_dir/${prefix}.env"; fi
  summary >&2
}

# start_delay_line BIN I: the delay line of link I in the delay namespace, in the background; its output
# (start line, counters at exit) goes to a log in the state dir, never to our stdout, which callers read to EOF.
start_delay_line() {
  local d; d=$(delay_of "$2")
  mkdir -p "$state_dir"
  ip netns exec "$ns_dly" "$1" "gw$2" "srv$2" "$d" </dev/null >"$state_dir/${prefix}.dly-link$2.log" 2>&1 &
  echo $! >>"$state_dir/${prefix}.dly.pids"
}

# Every delay line has opened its sockets (its first log line) and is still running.
await_delay_lines() {
  local i pid log
  for (( i = 1; i <= links; i++ )); do
    pid=$(sed -n "${i}p" "$state_dir/${prefix}.dly.pids")
    log=$state_dir/${prefix}.dly-link$i.log
    for _ in $(seq 50); do grep -q '<->' "$log" 2>/dev/null && break; sleep 0.1; done
    if ! kill -0 "$pid" 2>/dev/null || ! grep -q '<->' "$log"; then
      local why; why=$(cat "$log" 2>/dev/null); down; die "the delay line of link $i did not start: $why"
    fi
  done
}

# Lists are comma-separated so both 'IFS=,' in shell and String.split(",") in Java read them.
describe() {
  local i gw_ips=() srv_ips=() gw_ips6=() srv_ips6=() rate_list=() delay_list=()
  for (( i = 1; i <= links; i++ )); do
    gw_ips+=("10.$i.$i.1"); srv_ips+=("10.$i.$i.2"); rate_list+=("$(rate_of "$i")"); delay_list+=("$(delay_of "$i")")
    gw_ips6+=("fd00:$i::1"); srv_ips6+=("fd00:$i::2")
  done
  local IFS=,
  cat <<EOF
PREFIX=$prefix
LINKS=$links
RATES=${rate_list[*]}
IPV6=$ipv6
NS_CLIENT=$ns_client
NS_GW=$ns_gw
NS_SRV=$ns_srv
NS_DST=$ns_dst
CLIENT_IP=192.168.70.2
GW_LAN_IP=192.168.70.1
LAN_CIDR=192.168.70.0/24
GW_WAN_IPS=${gw_ips[*]}
SRV_IP=10.1.1.2
SRV_IPS=${srv_ips[*]}
SRV_DST_IP=192.168.80.1
DST_IP=192.168.80.2
DST_CIDR=192.168.80.0/24
EOF
  if [ "$delays" != none ]; then
    echo "DELAYS=${delay_list[*]}"
    echo "NS_DLY=$ns_dly"
  fi
  for (( i = 1; i <= links; i++ )); do
    echo "GW_WAN${i}_IF=wan$i"
    echo "GW_WAN${i}_IP=10.$i.$i.1"
    echo "SRV_WAN${i}_IP=10.$i.$i.2"
  done
  if [ "$ipv6" = 1 ]; then
    cat <<EOF
CLIENT_IP6=fd70::2
GW_LAN_IP6=fd70::1
LAN_CIDR6=fd70::/64
GW_WAN_IPS6=${gw_ips6[*]}
SRV_IP6=fd00:1::2
SRV_IPS6=${srv_ips6[*]}
DST_IP6=fd80::2
DST_CIDR6=fd80::/64
EOF
  fi
}

summary() {
  local i
  echo "testbed '$prefix' up: $links link(s)"
  echo "  $ns_client  eth0 192.168.70.2   (default via $ns_gw)"
  echo "  $ns_gw      lan0 192.168.70.1"
  for (( i = 1; i <= links; i++ )); do
    echo "  $ns_gw      wan$i 10.$i.$i.1  <== $(rate_of "$i")$([ "$delays" = none ] || echo ", $(delay_of "$i") ms each way via $ns_dly") ==>  $ns_srv wan$i 10.$i.$i.2$([ "$i" -gt 1 ] && echo ' (MPTCP signal)')"
  done
  echo "  $ns_srv     out0 192.168.80.1"
  echo "  $ns_dst     eth0 192.168.80.2   (default via $ns_srv)"
  [ "$ipv6" = 0 ] || echo "  IPv6: fd70::/64 LAN, fd00:i::/64 links, fd80::/64 destination"
}

link_cmd() {
  [ $# -ge 2 ] || die "usage: testbed.sh link down|up N [--prefix P]"
  local state=$1 n=$2; shift 2
  parse_common "$@"
  case "$state" in down|up) ;; *) die "link: expected down or up, got '$state'" ;; esac
  [[ $n =~ ^[1-8]$ ]] || die "link: N must be 1-8"
  ns_exists "$ns_gw" || die "testbed '$prefix' is not up"
  in_ns "$ns_gw" ip link show dev "wan$n" >/dev/null 2>&1 || die "testbed '$prefix' has no link $n"
  in_ns "$ns_gw" ip link set "wan$n" "$state"
  # Through a delay line srv's peer is the delay namespace's end, so that end goes down too.
  if ns_exists "$ns_dly"; then in_ns "$ns_dly" ip link set "srv$n" "$state"; fi
  if [ "$state" = up ] && [ "$n" = 1 ]; then
    # Taking wan1 down dropped the static routes through it; the kernel does not bring them back.
    ipv6=$(sed -n 's/^IPV6=//p' "$state_dir/${prefix}.env" 2>/dev/null || echo 0)
    link1_routes
  fi
}

main() {
  local cmd=${1:-}
  [ $# -gt 0 ] && shift
  case "$cmd" in
    up) parse_common "$@"; up ;;
    down) parse_common "$@"; down ;;
    link) link_cmd "$@" ;;
    env)
      parse_common "$@"
      [ -f "$state_dir/${prefix}.env" ] || die "testbed '$prefix' is not up"
      cat "$state_dir/${prefix}.env"
      ;;
    -h|--help|help) usage ;;
    *) usage >&2; exit 2 ;;
  esac
}

main "$@"
