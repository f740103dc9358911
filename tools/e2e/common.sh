# Shared helpers for tools/e2e/*.sh (sourced, not executed).
# shellcheck shell=bash
# Progress messages go to stderr so stdout stays clean for `eval "$(setup.sh)"`.
# shellcheck disable=SC2034  # variables are used by the scripts that source this file

CACHE="${PYTHON_CNB_CACHE:-/var/cache/python-cnb}"
E2E_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

LIFECYCLE_VERSION_DEFAULT=0.21.17
PACK_VERSION="${PACK_VERSION:-0.40.6}"

BUILD_IMAGE=python-cnb/build:bookworm
BUILD_NOPYTHON_IMAGE=python-cnb/build-nopython:bookworm
RUN_IMAGE=python-cnb/run:bookworm
BUILDER_DEFAULT=python-cnb/builder:bookworm
CACHE_KEY_LABEL=io.python-cnb.cache-key

log() { printf '[%s] %s\n' "$(basename "$0")" "$*" >&2; }
die() { printf '[%s] ERROR: %s\n' "$(basename "$0")" "$*" >&2; exit 1; }

# sha256 of stdin, hex only
sha() { sha256sum | cut -c1-64; }

# apt_install PKG...: install Debian packages, running `apt-get update` only when one has no
# install candidate yet. (No `grep -q` here: with pipefail its early exit SIGPIPEs apt-cache.)
apt_install() {
  local p
  for p in "$@"; do
    if ! apt-cache policy "$p" 2>/dev/null | grep 'Candidate: [0-9]' >/dev/null; then
      log "apt-get update ($p not in the package lists)"
      apt-get update >&2 || log "warning: apt-get update reported errors; trying anyway"
      break
    fi
  done
  log "apt-get install $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@" >&2
}

lifecycle_tgz() { echo "$CACHE/lifecycle-v${1:-$LIFECYCLE_VERSION_DEFAULT}+linux.x86-64.tgz"; }

[ "$(id -u)" = 0 ] || die "run as root (needs apt, dockerd, debootstrap)"
mkdir -p "$CACHE"
trap 'log "ERROR: command failed (exit $?) at ${BASH_SOURCE[0]##*/}:$LINENO: $BASH_COMMAND"' ERR
