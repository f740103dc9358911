#!/usr/bin/env bash
# Make sure an OCI registry binary is installed and print its path (stdout, nothing else).
#   registry.sh          -> /usr/bin/docker-registry
# Installs Debian's `docker-registry` (the CNCF distribution registry, 2.8 in bookworm) when it is missing.
# The caller runs its own instance: `docker-registry serve CONFIG.yml` with `http.addr: 127.0.0.1:<port>` and
# filesystem storage in a temp dir. The Debian package also installs a system service on :5000 (started only
# where an init system runs); tests must not rely on it, and this script leaves it alone.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

bin="$(command -v docker-registry || true)"
if [ -z "$bin" ]; then
  apt_install docker-registry
  bin="$(command -v docker-registry)" || die "docker-registry installed but not on PATH"
fi
"$bin" --version >&2 || die "$bin does not run"
echo "$bin"
