#!/usr/bin/env bash
# Starts a private Docker engine for the container integration tests and builds the base image.
# The engine runs inside its own network and mount namespace (only loopback inside): containers reach each
# other and nothing else, a pull fails at once, and the host's interfaces, routes, firewall and mounts stay
# untouched. Installs nothing (.ci/run brings docker.io and mmdebstrap: bin/deps.txt). Idempotent: a running engine
# is reused. Writes the environment the tests need to $MPGW_DOCKER_RUN/env (source it), and prints it.
set -euo pipefail
cd "$(dirname "$0")/.."

# Data root survives runs (a warm run reuses the base image); everything under the run dir is per boot.
data_root=${MPGW_DOCKER_DATA:-/var/lib/mpgw-ci-docker}
run_dir=${MPGW_DOCKER_RUN:-/run/mpgw-ci-docker}
exec_root=$run_dir/exec
socket=$run_dir/docker.sock
pid_file=$run_dir/engine.pid
log=$run_dir/dockerd.log
env_file=$run_dir/env
docker=${DOCKER_CLI:-/usr/bin/docker}
export DOCKER_HOST=unix://$socket

for tool in dockerd "$docker" unshare nsenter ip mmdebstrap; do
  command -v "$tool" >/dev/null || { echo "docker-up: missing $tool (bin/deps.txt; bin/deps.sh install test)" >&2; exit 1; }
done

engine_pid() {
  local pid
  pid=$(cat "$pid_file" 2>/dev/null) || return 1
  [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = dockerd ] && echo "$pid"
}

if pid=$(engine_pid) && "$docker" version >/dev/null 2>&1; then
  echo "docker-up: engine already running (pid $pid)" >&2
else
  if pid=$(engine_pid); then
    echo "docker-up: engine pid $pid does not answer; stopping it first" >&2
    .ci/docker-down.sh
  fi
  mkdir -p "$data_root" "$run_dir"
  rm -rf "$exec_root" "$socket" "$run_dir/dockerd.pid" "$pid_file"
  echo '{}' >"$run_dir/daemon.json"
  : >"$log"
  # unshare and sh both exec, so the process started here becomes dockerd; its own --pidfile says which pid
  # it is either way (setsid may fork). stdin closed, so the engine never waits on the CI's terminal.
  setsid unshare --net --mount --propagation private -- sh -c '
      ip link set lo up || exit 1
      exec "$@"' sh \
    dockerd \
      --host "unix://$socket" \
      --data-root "$data_root" \
      --exec-root "$exec_root" \
      --pidfile "$run_dir/dockerd.pid" \
      --config-file "$run_dir/daemon.json" \
      --bridge=none --iptables=false --ip-forward=false --ip-masq=false \
      --storage-driver=overlay2 \
      --debug \
      </dev/null >>"$log" 2>&1 &
  start=$(date +%s%N)
  for _ in $(seq 1 300); do
    if [ -s "$run_dir/dockerd.pid" ] && "$docker" version >/dev/null 2>&1; then break; fi
    sleep 0.1
  done
  "$docker" version >/dev/null 2>&1 || { tail -30 "$log" >&2; echo "docker-up: engine did not answer within 30 s" >&2; exit 1; }
  cp "$run_dir/dockerd.pid" "$pid_file"
  pid=$(engine_pid) || { echo "docker-up: pid file does not name a dockerd" >&2; exit 1; }
  echo "docker-up: engine pid $pid answers after $(( ($(date +%s%N) - start) / 1000000 )) ms (log $log)" >&2
fi

base_image=$(docker/base-image.sh | tail -1)

cat >"$env_file" <<ENV
# Written by .ci/docker-up.sh: the private engine for the container integration tests.
export DOCKER_HOST=$DOCKER_HOST
# The engine lives in its own network namespace; the test JVM joins it (integration-tests/bin/java-in-engine-netns).
export MPGW_ENGINE_PID=$pid
export MPGW_BASE_IMAGE=$base_image
# Without a registry: no Ryuk, no start-up checks (both pull images).
export TESTCONTAINERS_RYUK_DISABLED=true
export TESTCONTAINERS_CHECKS_DISABLE=true
# /.dockerenv makes Testcontainers look up the network "bridge", which --bridge=none removes.
export TESTCONTAINERS_HOST_OVERRIDE=localhost
# An engine is up: the integration tests must run, not skip.
export MPGW_IT_REQUIRED=true
ENV
echo "docker-up: environment in $env_file:" >&2
cat "$env_file"
