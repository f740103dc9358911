#!/usr/bin/env bash
# Create (or re-create) an offline pack builder for a buildpack directory and trust it.
#   builder.sh [--nopython] BUILDPACK_DIR [BUILDER_NAME]      (default name python-cnb/builder:bookworm)
# Env: PYTHON_CNB_BUILD_IMAGE     build image (default python-cnb/build:bookworm; --nopython picks
#                                 python-cnb/build-nopython:bookworm)
#      PYTHON_CNB_RUN_IMAGE       run image (default python-cnb/run:bookworm)
#      PYTHON_CNB_LIFECYCLE_VERSION  lifecycle tarball to embed (default 0.21.17; build it with cnb-tools.sh VERSION)
#      PYTHON_CNB_BP_EXCLUDE      space-separated paths, relative to BUILDPACK_DIR, left out of the builder
#                                 (e.g. "tests tools"); VCS dirs and Python caches are always left out
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

build_image="${PYTHON_CNB_BUILD_IMAGE:-$BUILD_IMAGE}"
if [ "${1:-}" = --nopython ]; then build_image="$BUILD_NOPYTHON_IMAGE"; shift; fi
[ $# -ge 1 ] || die "usage: $0 [--nopython] BUILDPACK_DIR [BUILDER_NAME]"
bp_dir="$(cd "$1" && pwd)" || die "no such directory: $1"
name="${2:-$BUILDER_DEFAULT}"
run_image="${PYTHON_CNB_RUN_IMAGE:-$RUN_IMAGE}"
lifecycle="$(lifecycle_tgz "${PYTHON_CNB_LIFECYCLE_VERSION:-$LIFECYCLE_VERSION_DEFAULT}")"
PACK="$CACHE/bin/pack"

[ -f "$bp_dir/buildpack.toml" ] || die "$bp_dir/buildpack.toml not found"
[ -x "$PACK" ] || die "$PACK missing: run tools/e2e/cnb-tools.sh"
[ -f "$lifecycle" ] || die "$lifecycle missing: run tools/e2e/cnb-tools.sh ${PYTHON_CNB_LIFECYCLE_VERSION:-}"
for img in "$build_image" "$run_image"; do
  docker image inspect "$img" >/dev/null 2>&1 || die "image $img not in the daemon: run tools/e2e/base-images.sh"
done

read -r bp_id bp_version < <(python3 -c '
import sys, tomllib
bp = tomllib.load(open(sys.argv[1], "rb"))["buildpack"]
print(bp["id"], bp["version"])' "$bp_dir/buildpack.toml") || die "cannot read [buildpack] id/version from buildpack.toml"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# pack copies a buildpack dir verbatim, so stage a filtered copy
excludes=(--exclude-vcs --exclude=__pycache__ --exclude='*.pyc' --exclude=.pytest_cache --exclude=.venv
          --exclude=.mypy_cache --exclude=.ruff_cache)
for p in ${PYTHON_CNB_BP_EXCLUDE:-}; do excludes+=(--exclude="./${p#./}"); done
mkdir "$work/bp"
tar -C "$bp_dir" "${excludes[@]}" -cf - . | tar -C "$work/bp" -xf -
cat > "$work/builder.toml" <<TOML
description = "python-cnb offline test builder"

[[buildpacks]]
uri = "$work/bp"

[[order]]
[[order.group]]
id = "$bp_id"
version = "$bp_version"

[lifecycle]
uri = "$lifecycle"

[build]
image = "$build_image"

# the CA bundle in the images holds this network's TLS-intercepting proxy CA
[[build.env]]
name = "PIP_CERT"
value = "/etc/ssl/certs/ca-certificates.crt"
suffix = "default"

[[run.images]]
image = "$run_image"
TOML

log "creating builder $name ($bp_id@$bp_version from $bp_dir, build image $build_image, lifecycle $(basename "$lifecycle"))"
"$PACK" builder create "$name" --config "$work/builder.toml" --pull-policy never >&2
"$PACK" config trusted-builders add "$name" >&2
log "builder $name ready: pack build IMG --builder $name --path APP --pull-policy never --trust-builder --network host"
