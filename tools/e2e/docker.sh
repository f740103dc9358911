#!/usr/bin/env bash
# Make sure a Docker daemon answers `docker info`.
# Installs Debian's docker.io if dockerd is missing and starts dockerd in the background
# with no default bridge and no iptables rules (containers must use --network host).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

# pytest-docker drives compose; Debian 12 packages compose v1 as docker-compose.
command -v docker-compose >/dev/null || apt_install docker-compose

if docker info >/dev/null 2>&1; then
  log "docker daemon already running ($(docker version -f '{{.Server.Version}}, API {{.Server.APIVersion}}'))"
  exit 0
fi

command -v dockerd >/dev/null || apt_install docker.io
command -v docker >/dev/null || die "no docker CLI after installing docker.io"

# No bridge network (it would use a private 172.x range) and no iptables changes.
want='{"bridge": "none", "iptables": false}'
mkdir -p /etc/docker
if [ "$(cat /etc/docker/daemon.json 2>/dev/null)" != "$want" ]; then
  [ -e /etc/docker/daemon.json ] && cp /etc/docker/daemon.json "/etc/docker/daemon.json.bak.$(date +%s)"
  echo "$want" > /etc/docker/daemon.json
  log "wrote /etc/docker/daemon.json: $want"
fi

log "starting dockerd (log: $CACHE/dockerd.log)"
# Started with every inherited descriptor above stderr closed: a lock file held by whoever ran the tests (flock)
# would otherwise stay locked for as long as the daemon lives.
(
  for fd in /proc/self/fd/*; do
    fd=${fd##*/}
    [ "$fd" -gt 2 ] 2>/dev/null && [ "$fd" != 255 ] && eval "exec $fd>&-"
  done
  exec nohup dockerd >>"$CACHE/dockerd.log" 2>&1 </dev/null
) &
echo $! > "$CACHE/dockerd.pid"
for _ in $(seq 60); do
  if docker info >/dev/null 2>&1; then
    log "docker daemon up ($(docker version -f '{{.Server.Version}}, API {{.Server.APIVersion}}'))"
    exit 0
  fi
  kill -0 "$(cat "$CACHE/dockerd.pid")" 2>/dev/null || break
  sleep 1
done
tail -20 "$CACHE/dockerd.log" >&2 || true
die "dockerd did not come up within 60 s (see $CACHE/dockerd.log)"
