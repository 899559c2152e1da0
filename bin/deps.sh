#!/usr/bin/env bash
# deps.sh: the external commands a purpose needs (bin/deps.txt), checked and installed from Debian's packages.
#
#   bin/deps.sh check   PURPOSE...   one line naming every missing command and its package; exit 1 if any
#   bin/deps.sh install PURPOSE...   installs the missing packages (root and apt-get), says so in one line first,
#                                    then checks again; without root or apt-get, prints the command and exits 1
#
# Sourced by demo.sh and bench.sh, which call `mpgw_deps_install LABEL PURPOSE...`. MPGW_NO_INSTALL=1 turns
# the install into a check (for machines where the operator installs packages).
set -euo pipefail
deps_file=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/deps.txt

# Prints "command package" for each command of the purposes given that is not present.
mpgw_deps_missing() {
  local want=" $* " cmd pkg purposes p
  while read -r cmd pkg purposes; do
    case "$cmd" in ''|'#'*) continue ;; esac
    for p in $purposes; do
      if [[ $want == *" $p "* ]]; then
        if [[ $cmd == python3:* ]]; then
          /usr/bin/python3 -c "import ${cmd#python3:}" >/dev/null 2>&1 || echo "$cmd $pkg"
        else
          command -v "$cmd" >/dev/null 2>&1 || echo "$cmd $pkg"
        fi
        break
      fi
    done
  done <"$deps_file"
}

# mpgw_deps_check LABEL PURPOSE...: one line naming what is missing and how to install it; status 1 if any.
mpgw_deps_check() {
  local label=$1; shift
  local missing; missing=$(mpgw_deps_missing "$@")
  [ -z "$missing" ] && return 0
  local cmds pkgs
  cmds=$(awk '{ print $1 }' <<<"$missing" | paste -sd' ' -)
  pkgs=$(awk '{ print $2 }' <<<"$missing" | sort -u | paste -sd' ' -)
  echo "$label: missing $cmds; install with: sudo apt-get install --no-install-recommends $pkgs" >&2
  return 1
}

# mpgw_deps_install LABEL PURPOSE...: installs the Debian packages of the missing commands, then checks.
mpgw_deps_install() {
  local label=$1; shift
  local missing; missing=$(mpgw_deps_missing "$@")
  [ -z "$missing" ] && return 0
  if [ "${MPGW_NO_INSTALL:-0}" = 1 ] || [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    mpgw_deps_check "$label" "$@"
    return 1
  fi
  local pkgs log=/tmp/mpgw-apt.$$.log policy=/usr/sbin/policy-rc.d own_policy=0
  pkgs=$(awk '{ print $2 }' <<<"$missing" | sort -u | paste -sd' ' -)
  echo "$label: installing Debian packages: $pkgs (for $(awk '{ print $1 }' <<<"$missing" | paste -sd' ' -))" >&2
  # The packages' own services (nginx, ss-server, danted, docker) stay stopped: mpgw's scripts start what they
  # need inside their namespaces, and a system dockerd or nginx would change the host's ports and firewall.
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\n# mpgw deps.sh: no service starts while it installs packages\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    own_policy=1
  fi
  # An install from stale package lists fails on a fresh machine; update only then, to keep warm runs fast.
  # shellcheck disable=SC2086
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $pkgs >"$log" 2>&1; then
    if ! { DEBIAN_FRONTEND=noninteractive apt-get update -qq \
        && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $pkgs; } >"$log" 2>&1; then
      [ "$own_policy" = 0 ] || rm -f "$policy"
      tail -20 "$log" >&2
      echo "$label: apt-get install $pkgs failed (log above, in $log)" >&2
      return 1
    fi
  fi
  [ "$own_policy" = 0 ] || rm -f "$policy"
  rm -f "$log"
  mpgw_deps_check "$label" "$@"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  action=${1:-}
  [ $# -ge 2 ] || { echo "usage: deps.sh check|install PURPOSE... (purposes: run demo build test bench)" >&2; exit 2; }
  shift
  case "$action" in
    check) mpgw_deps_check "mpgw deps" "$@" ;;
    install) mpgw_deps_install "mpgw deps" "$@" ;;
    *) echo "usage: deps.sh check|install PURPOSE..." >&2; exit 2 ;;
  esac
fi
