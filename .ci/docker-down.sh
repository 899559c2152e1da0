#!/usr/bin/env bash
# Stops the private Docker engine started by .ci/docker-up.sh and checks that nothing is left behind.
# Removes all containers and networks, SIGTERMs the recorded dockerd pid (containerd and the shims exit with
# it), then ends only leftover processes whose command line names this engine's exec-root. Keeps the data
# root, so the next run reuses the base image. Idempotent.
# Exit status 1 when the engine's log shows a pull attempt (the tests must never need a registry) or when
# something could not be cleaned up.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2

run_dir=${MPGW_DOCKER_RUN:-/run/mpgw-ci-docker}
exec_root=$run_dir/exec
socket=$run_dir/docker.sock
pid_file=$run_dir/engine.pid
log=$run_dir/dockerd.log
docker=${DOCKER_CLI:-/usr/bin/docker}
export DOCKER_HOST=unix://$socket
status=0

pid=$(cat "$pid_file" 2>/dev/null || true)
if [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = dockerd ]; then
  if "$docker" version >/dev/null 2>&1; then
    containers=$("$docker" ps -aq)
    # shellcheck disable=SC2086
    [ -z "$containers" ] || "$docker" rm -f -v $containers >/dev/null
    "$docker" network prune -f >/dev/null
    # Test images (mpgw-it, integration-tests' ProjectImage) are rebuilt each run; only the base image stays.
    "$docker" image rm -f mpgw-it:latest >/dev/null 2>&1 || true
    "$docker" image prune -f >/dev/null
  fi
  kill -TERM "$pid"
  for _ in $(seq 1 200); do [ -d "/proc/$pid" ] || break; sleep 0.1; done
  if [ -d "/proc/$pid" ]; then
    echo "docker-down: dockerd $pid ignored SIGTERM for 20 s; killing it" >&2
    kill -KILL "$pid"; status=1
  fi
fi

# Leftovers are processes whose command line names our exec-root (containerd, shims); nothing else is touched.
leftovers() {
  local p
  for p in /proc/[0-9]*; do
    p=${p#/proc/}
    [ "$p" = $$ ] && continue
    # 2>/dev/null first: a process may exit between the glob and the read.
    case "$(tr '\0' ' ' 2>/dev/null <"/proc/$p/cmdline")" in *"$exec_root"*) echo "$p" ;; esac
  done
  return 0
}
left=$(leftovers)
if [ -n "$left" ]; then
  echo "docker-down: ending leftover processes of this engine: $left" >&2
  # shellcheck disable=SC2086
  kill -TERM $left 2>/dev/null; sleep 2
  left=$(leftovers)
  # shellcheck disable=SC2086
  [ -z "$left" ] || kill -KILL $left 2>/dev/null
  status=1
fi
if grep -qF -- "$exec_root" /proc/mounts; then
  echo "docker-down: mounts of the engine leaked into the host's mount namespace:" >&2
  grep -F -- "$exec_root" /proc/mounts >&2
  status=1
fi
rm -f "$pid_file" "$socket" "$run_dir/env"
rm -rf "$exec_root"

if [ -f "$log" ]; then
  if grep -E 'fromImage|Trying to pull' "$log" >&2; then
    echo "docker-down: the engine was asked to pull an image (lines above from $log.last); tests must not need a registry" >&2
    status=1
  fi
  # Checked once: a second docker-down (or the next run) does not report this engine's pulls again.
  mv -f "$log" "$log.last"
fi
[ $status -eq 0 ] && echo "docker-down: engine stopped, nothing left behind" >&2
exit $status
