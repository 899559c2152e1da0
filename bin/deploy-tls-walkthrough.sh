#!/usr/bin/env bash
# deploy-tls-walkthrough.sh: docs/deploy.md section 8 ("Router B on a rented server over ISP links") followed in
# network namespaces (bin/testbed.sh, prefix tlsfin-): the section's commands with /etc/mpgw -> a work
# directory per router, router B's public address -> the testbed's link-1 address of router B, the ISP links ->
# the testbed's two links. Exits 0 when every step holds, 1 with the step that failed. Needs root and a built
# tree (mvn -DskipTests package). Run it under the kernel-tests lock.
set -euo pipefail
here=$(cd "$(dirname "$(readlink -f "$0")")" && pwd)
root=$(dirname "$here")
P=tlsfin-
work=$(mktemp -d /tmp/mpgw-walkthrough.XXXXXX)
PIDS=()
fail() { echo "walkthrough: FAILED: $*" >&2; tail -n 20 "$work"/*.log >&2 || true; exit 1; }
step() { echo "== $*" >&2; }
cleanup() {
  local pid
  for pid in "${PIDS[@]+"${PIDS[@]}"}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]+"${PIDS[@]}"}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
  bash "$here/testbed.sh" down --prefix "$P" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
A() { ip netns exec "${P}gw" "$@"; }
B() { ip netns exec "${P}srv" "$@"; }
start() { local ns=$1 name=$2; shift 2; ip netns exec "$ns" "$@" >"$work/$name.log" 2>&1 & PIDS+=($!); }
wait_port() {
  for _ in $(seq 200); do [ -n "$(ip netns exec "$1" ss -Hltn "sport = :$2")" ] && return 0; sleep 0.1; done
  fail "nothing listens on port $2 in $1"
}

bash "$here/testbed.sh" up --prefix "$P" --links 2 --rate 20mbit --env "$work/env" >/dev/null 2>&1
# shellcheck disable=SC1091
. "$work/env"
mkdir -p "$work/a" "$work/b"

step "1. keys, one per router"
fb=$(B bash "$root/bin/mpgw" keys --out "$work/b/tls" --name router-b)
fa=$(A bash "$root/bin/mpgw" keys --out "$work/a/tls" --name router-a)
[[ $fa =~ ^sha256:[0-9a-f]{64}$ && $fb =~ ^sha256:[0-9a-f]{64}$ ]] || fail "keys printed '$fa' / '$fb'"
[ "$(stat -c %a "$work/a/tls/key.pem")" = 600 ] || fail "key.pem is not 0600"
A bash "$root/bin/mpgw" keys --out "$work/a/tls" >/dev/null 2>&1 && fail "keys overwrote an existing key"

step "2. fingerprints: openssl prints the same value"
o=$(openssl x509 -in "$work/b/tls/cert.pem" -noout -fingerprint -sha256 | sed 's/.*=//; s/://g' | tr A-F a-f)
[ "sha256:$o" = "$fb" ] || fail "openssl says sha256:$o, mpgw keys said $fb"

step "3. router B's config, TLS on"
cat >"$work/b/server.conf" <<CONF
server {
  listen = ["$SRV_IP:1080"]
  mptcp = required
  clients.allow = ["0.0.0.0/0"]
  tls {
    enabled = on
    certificate = "$work/b/tls/cert.pem"
    key = "$work/b/tls/key.pem"
    peers = ["$fa"]
  }
  metrics.listen = "127.0.0.1:9465"
}
CONF
start "${P}srv" server bash "$root/bin/mpgw" server --config "$work/b/server.conf"

step "4. router B's firewall: only SSH and the SOCKS port in"
B nft -f - <<'NFT'
table inet mpgw_fw {
  chain input {
    type filter hook input priority 0; policy drop;
    ct state established,related accept
    iif lo accept
    meta l4proto { icmp, ipv6-icmp } accept
    tcp dport { 22, 1080 } accept
  }
}
NFT
wait_port "${P}srv" 1080

step "5. router A's config"
cat >"$work/a/gateway.conf" <<CONF
gateway {
  listen = ["0.0.0.0:12345"]
  servers = ["$SRV_IP:1080"]
  mptcp = required
  upstream.tls {
    enabled = on
    certificate = "$work/a/tls/cert.pem"
    key = "$work/a/tls/key.pem"
    peers = ["$fb"]
  }
  metrics.listen = ""
}
CONF
# The testbed's router B announces its link-2 address already (signal endpoints), so router A's subflow
# endpoints of the section would make a second extra subflow; only the limits are set here.
A bash "$root/iptables/mpgw-endpoints" --role gateway >/dev/null
start "${P}gw" gateway bash "$root/bin/mpgw" gateway --config "$work/a/gateway.conf"
wait_port "${P}gw" 12345
A bash "$root/iptables/mpgw-rules" install --backend iptables --no-udp --lan "$LAN_CIDR" --server "$SRV_IP" >/dev/null

step "6. check: a LAN host's flow crosses, both logs name the peer, the counters say ok"
mkdir -p "$work/www"; head -c 2000000 /dev/urandom >"$work/www/f"
start "${P}dst" web python3 -m http.server 8080 --bind "$DST_IP" --directory "$work/www"
wait_port "${P}dst" 8080
want=$(sha256sum <"$work/www/f")
got=$(ip netns exec "${P}client" curl -s --max-time 20 "http://$DST_IP:8080/f" | sha256sum)
[ "$got" = "$want" ] || fail "the download through the routers is not intact"
sleep 1
grep -q "peer=${fb:0:23}" "$work/gateway.log" || fail "the gateway's flow line has no peer=${fb:0:23}"
grep -q "peer=${fa:0:23}" "$work/server.log" || fail "the server's line has no peer=${fa:0:23}"
B curl -s 127.0.0.1:9465/metrics | grep -q 'mpgw_server_tls_handshakes_total{result="ok"' \
  || fail "no ok handshake counted on router B"
subflows=$(A ss -MHtn 2>/dev/null | grep -c ':1080' || true)

step "7. a plain SOCKS5 client is refused, the server keeps serving"
A curl -s --max-time 5 --socks5 "$SRV_IP:1080" "http://$DST_IP:8080/f" -o /dev/null && fail "plain curl got through"
B curl -s 127.0.0.1:9465/metrics | grep -q 'result="plaintext-client"' || fail "plaintext client not counted"
got=$(ip netns exec "${P}client" curl -s --max-time 20 "http://$DST_IP:8080/f" | sha256sum)
[ "$got" = "$want" ] || fail "the server stopped serving after the plain client"

step "8. the firewall drops what is not SOCKS: the metrics port from router A"
A timeout 3 bash -c "exec 3<>/dev/tcp/$SRV_IP/9465" 2>/dev/null && fail "router B's port 9465 answered router A"
echo "walkthrough: every step holds (fingerprints A $fa, B $fb; MPTCP sockets to :1080 on A: $subflows)"
