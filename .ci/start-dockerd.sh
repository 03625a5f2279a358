#!/usr/bin/env bash
# Start a private Docker engine for the container pipeline tests.
#
# Its state lives in a temporary folder and it listens on a unix socket there; no bridge network
# and no iptables rules are set up, since pipeline containers run with the network off.
# Prints the line to evaluate, so that the tests find the engine:
#
#     eval "$(bash .ci/start-dockerd.sh)"      # sets DOCKER_HOST and AUTEUR_DOCKERD_PID
#
# Progress and errors go to stderr. Stop the engine with: kill "$AUTEUR_DOCKERD_PID".
set -euo pipefail

if ! command -v dockerd >/dev/null; then
  echo "start-dockerd: dockerd is not installed (apt-get install docker.io)" >&2
  exit 1
fi

# The engine runs as root; for another user it starts through sudo and shares its socket with
# that user's group.
SUDO=()
GROUP=()
if [ "$(id -u)" != 0 ]; then
  SUDO=(sudo)
  GROUP=(--group "$(id -gn)")
fi

root="$(mktemp -d "${TMPDIR:-/tmp}/auteur-dockerd.XXXXXX")"
socket="$root/docker.sock"
wait_s="${AUTEUR_DOCKERD_WAIT:-60}"

start() { # $1: storage driver
  "${SUDO[@]}" dockerd "${GROUP[@]}" \
    --data-root "$root/data-$1" \
    --exec-root "$root/exec" \
    --pidfile "$root/dockerd.pid" \
    --host "unix://$socket" \
    --storage-driver="$1" \
    --iptables=false --ip6tables=false --bridge=none \
    >"$root/dockerd-$1.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 $((wait_s * 4))); do
    if ! kill -0 "$pid" 2>/dev/null; then
      return 1
    fi
    if DOCKER_HOST="unix://$socket" docker version >/dev/null 2>&1; then
      return 0
    fi
    sleep 0.25
  done
  kill "$pid" 2>/dev/null || true
  return 1
}

# overlay2 is fast; a data root on a filesystem that cannot hold overlays falls back to vfs.
if start overlay2; then
  driver=overlay2
elif start vfs; then
  driver=vfs
else
  echo "start-dockerd: dockerd did not start; its logs:" >&2
  tail -n 30 "$root"/dockerd-*.log >&2
  exit 1
fi

echo "start-dockerd: engine ready (storage $driver, pid $pid, logs in $root)" >&2
echo "export DOCKER_HOST=unix://$socket AUTEUR_DOCKERD_PID=$pid"
