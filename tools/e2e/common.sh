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
# arm64 (emulated with qemu-user-static, see qemu.sh): images and builder tagged with this suffix
ARM64_SUFFIX=-arm64
BINFMT_DIR=/proc/sys/fs/binfmt_misc

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

# lifecycle_tgz [VERSION [ARCH]]: the lifecycle archive cnb-tools.sh writes (ARCH amd64 or arm64, upstream's names)
lifecycle_tgz() {
  local arch=x86-64
  [ "${2:-amd64}" = arm64 ] && arch=arm64
  echo "$CACHE/lifecycle-v${1:-$LIFECYCLE_VERSION_DEFAULT}+linux.$arch.tgz"
}

[ "$(id -u)" = 0 ] || die "run as root (needs apt, dockerd, debootstrap)"
mkdir -p "$CACHE"
trap 'log "ERROR: command failed (exit $?) at ${BASH_SOURCE[0]##*/}:$LINENO: $BASH_COMMAND"' ERR
