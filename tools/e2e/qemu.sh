#!/usr/bin/env bash
# Register Debian's qemu-user-static for aarch64 binaries, so arm64 rootfs, images and containers run here
# under emulation (debootstrap's second stage, `pack build --platform linux/arm64`, `docker run --platform ...`).
#   qemu.sh            install qemu-user-static + binfmt-support when missing, mount binfmt_misc, enable
#                      qemu-aarch64; exit 0 once /proc/sys/fs/binfmt_misc/qemu-aarch64 is enabled with the F flag
# The F ("fix binary") flag makes the kernel open the emulator at registration, so it works inside containers
# and chroots that do not hold /usr/libexec/qemu-binfmt/. Idempotent; about 0.05 s when already registered.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

entry="$BINFMT_DIR/qemu-aarch64"
registered() { [ -f "$entry" ] && grep -qx enabled "$entry" && grep -q '^flags: .*F' "$entry"; }

if registered; then log "qemu-aarch64 binfmt already registered"; exit 0; fi
command -v update-binfmts >/dev/null && [ -x /usr/bin/qemu-aarch64-static ] || apt_install qemu-user-static binfmt-support
[ -f "$BINFMT_DIR/register" ] || mount -t binfmt_misc binfmt_misc "$BINFMT_DIR" \
  || die "cannot mount binfmt_misc on $BINFMT_DIR (a container without --privileged cannot): arm64 needs it"
# binfmt-support's service is not started here (no init); enabling the one format registers it.
update-binfmts --enable qemu-aarch64 >&2 || true
registered || die "qemu-aarch64 is not registered in $BINFMT_DIR after update-binfmts --enable qemu-aarch64"
log "qemu-aarch64 binfmt registered ($(sed -n 's/^interpreter //p' "$entry"))"
