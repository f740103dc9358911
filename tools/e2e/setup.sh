#!/usr/bin/env bash
# One-shot setup for offline `pack build` e2e tests on a Debian 12 machine (root).
#   eval "$(tools/e2e/setup.sh [EXTRA_LIFECYCLE_VERSION...])"
# Runs docker.sh, cnb-tools.sh (lifecycle 0.21.17 + pack, plus any extra lifecycle versions)
# and base-images.sh; then the arm64 parts (qemu.sh registers qemu-user-static for aarch64, cnb-tools.sh and
# base-images.sh --arch arm64) unless PYTHON_CNB_SKIP_ARM64=1 or the emulator cannot be registered (the arm64
# test then skips, saying why). Progress goes to stderr, the env a caller needs to stdout.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

step() { local t=$SECONDS; "$@" || return; log "$(basename "$1") ${*:2}: took $((SECONDS - t)) s"; }
start=$SECONDS
step "$E2E_DIR/docker.sh"
step "$E2E_DIR/cnb-tools.sh"
for v in "$@"; do step "$E2E_DIR/cnb-tools.sh" "$v"; done
step "$E2E_DIR/base-images.sh"
if [ "${PYTHON_CNB_SKIP_ARM64:-}" = 1 ]; then
  log "arm64: skipped (PYTHON_CNB_SKIP_ARM64=1)"
elif step "$E2E_DIR/qemu.sh"; then
  step "$E2E_DIR/cnb-tools.sh" --arch arm64
  step "$E2E_DIR/base-images.sh" --arch arm64
else
  log "WARNING: arm64: qemu-aarch64 could not be registered; the arm64 e2e test will be skipped"
fi
log "setup done in $((SECONDS - start)) s"

cat <<ENV
export PYTHON_CNB_CACHE="$CACHE"
export PATH="$CACHE/bin:\$PATH"
export PYTHON_CNB_PACK="$CACHE/bin/pack"
export PYTHON_CNB_LIFECYCLE_TGZ="$(lifecycle_tgz "$LIFECYCLE_VERSION_DEFAULT")"
export PYTHON_CNB_BUILD_IMAGE="$BUILD_IMAGE"
export PYTHON_CNB_BUILD_NOPYTHON_IMAGE="$BUILD_NOPYTHON_IMAGE"
export PYTHON_CNB_RUN_IMAGE="$RUN_IMAGE"
export PYTHON_CNB_BUILDER="$BUILDER_DEFAULT"
export PACK_VOLUME_KEY="python-cnb-e2e"
ENV
