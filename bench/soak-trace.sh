#!/usr/bin/env bash
# soak-trace.sh [SECONDS]: a per-second trace of a running `mpgw soak` (bin/soak.sh), printed on stdout, for finding
# out why a burst lags. Read-only: it reads /proc, `ss` in the soak's namespaces and the soak's status files.
# Columns: seconds since it found the testbed; wall time; the machine's busy % (all CPUs, /proc/stat); the
# gateway's and the server's accept queues (ss Recv-Q of the listeners); in [ ], router A's then router B's TCP sockets in CLOSE-WAIT,
# FIN-WAIT-1, FIN-WAIT-2 and LAST-ACK (closes under way); per daemon the % of one core used by the whole JVM, by its C2
# and C1 JIT compiler threads and by its GC/VM threads; then the burst's, the held flows' and the UDP sessions'
# status lines. Ends after SECONDS (default 400) or when the soak's namespaces go away.
# Used as: flock -o /tmp/mpgw-kernel-tests.lock bash -c 'bench/soak-trace.sh 500 >trace & bin/mpgw soak --duration 3m'
limit=${1:-400}
hz=$(getconf CLK_TCK)
for _ in $(seq 300); do ip netns list | grep -q mpgwsoak-gw && break; sleep 0.2; done
javapid() { for p in $(ip netns pids "$1" 2>/dev/null); do [ "$(cat /proc/$p/comm 2>/dev/null)" = java ] && { echo $p; return; }; done; }
classify() { # PID -> "total c2 c1 gc" ticks
  local pid=$1
  for t in /proc/$pid/task/*; do
    read -r c <"$t/comm" 2>/dev/null || continue
    s=$(awk '{print $14+$15}' "$t/stat" 2>/dev/null) || continue
    case "$c" in C2*) k=c2;; C1*) k=c1;; GC*|G1*|"VM Thread"|"VM Periodic"*) k=gc;; *) k=app;; esac
    echo "$k $s"
  done | awk '{a[$1]+=$2; t+=$2} END {printf "%d %d %d %d\n", t, a["c2"]+0, a["c1"]+0, a["gc"]+0}'
}
busy() { awk '/^cpu /{print $2+$3+$4+$7+$8, $2+$3+$4+$5+$6+$7+$8}' /proc/stat; }
t0=$(date +%s); declare -A prev; pn=$(date +%s%N)
read pb pt < <(busy)
echo "t  mach%  gwQ srvQ | gw: cpu c2 c1 gc | srv: cpu c2 c1 gc | burst | hold | udp"
while [ $(( $(date +%s) - t0 )) -lt "$limit" ]; do
  ip netns list | grep -q mpgwsoak-gw || break
  gw=$(javapid mpgwsoak-gw) srv=$(javapid mpgwsoak-srv)
  gq=$(ip netns exec mpgwsoak-gw ss -Hltn "sport = :12345" 2>/dev/null | awk '{n+=$2} END{print n+0}')
  sq=$(ip netns exec mpgwsoak-srv ss -Hltn "sport = :1080" 2>/dev/null | awk '{n+=$2} END{print n+0}')
  now=$(date +%s%N); dt=$(( (now-pn)/10000000 )); [ $dt -gt 0 ] || dt=100; pn=$now
  out=""
  cl=""
  for ns in mpgwsoak-gw mpgwsoak-srv; do
    cl="$cl $(ip netns exec $ns ss -Htan state close-wait state fin-wait-1 state fin-wait-2 state last-ack 2>/dev/null | awk '{n[$1]++} END {printf "cw%d/fw1 %d/fw2 %d/la%d", n["CLOSE-WAIT"], n["FIN-WAIT-1"], n["FIN-WAIT-2"], n["LAST-ACK"]}')"
  done
  for d in gw srv; do
    pid=${!d}; [ -n "$pid" ] || { out="$out | -"; continue; }
    read tot c2 c1 gc < <(classify "$pid")
    key="$d$pid"
    if [ -n "${prev[$key]:-}" ]; then
      read ptot pc2 pc1 pgc <<<"${prev[$key]}"
      out="$out | $(( (tot-ptot)*10000/hz/dt )) $(( (c2-pc2)*10000/hz/dt )) $(( (c1-pc1)*10000/hz/dt )) $(( (gc-pgc)*10000/hz/dt ))"
    else out="$out | new"; fi
    prev[$key]="$tot $c2 $c1 $gc"
  done
  read b t < <(busy); mach=$(( t > pt ? (b-pb)*100/(t-pt) : 0 )); pb=$b pt=$t
  w=$(ls -td /tmp/mpgw-soak.* 2>/dev/null | head -1)
  st() { sed -e 's/mode=[a-z]* //' -e 's/open_failed=[0-9]* //;s/died_[a-z]*=[0-9]* //g;s/stalled=[0-9]* //' "$w/$1.status" 2>/dev/null; }
  echo "$(( $(date +%s) - t0 )) $(date +%T) $mach $gq $sq [$cl ]$out | $(st burst) | $(st hold) | $(st udp)"
  sleep 1
done
