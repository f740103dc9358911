#!/usr/bin/env bash
# Create (or re-create) an offline pack builder for a buildpack and trust it.
#   builder.sh [--nopython] BUILDPACK_DIR|BUILDPACKAGE.cnb [BUILDER_NAME]   (default name python-cnb/builder:bookworm)
#   builder.sh --arch arm64 BUILDPACK_DIR [BUILDER_NAME]   a linux/arm64 builder (default python-cnb/builder:bookworm-arm64)
#                                 from python-cnb/{build,run}:bookworm-arm64 and the arm64 lifecycle (base-images.sh
#                                 --arch arm64, cnb-tools.sh --arch arm64); build with `pack build --platform linux/arm64`
# A directory is staged (filtered copy, see PYTHON_CNB_BP_EXCLUDE); a .cnb file (scripts/package) is used as is,
# with the id and version read from its io.buildpacks.buildpackage.metadata label.
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
run_image="${PYTHON_CNB_RUN_IMAGE:-$RUN_IMAGE}"
builder_default="$BUILDER_DEFAULT"
arch=amd64
if [ "${1:-}" = --arch ]; then
  arch="${2:?--arch amd64|arm64}"; shift 2
  case "$arch" in
    amd64) ;;
    arm64) build_image="$BUILD_IMAGE$ARM64_SUFFIX" run_image="$RUN_IMAGE$ARM64_SUFFIX"
           builder_default="$BUILDER_DEFAULT$ARM64_SUFFIX" ;;
    *) die "unsupported --arch $arch (amd64 or arm64)" ;;
  esac
fi
if [ "${1:-}" = --nopython ]; then build_image="$BUILD_NOPYTHON_IMAGE"; shift; fi
[ $# -ge 1 ] || die "usage: $0 [--nopython] BUILDPACK_DIR|BUILDPACKAGE.cnb [BUILDER_NAME]"
bp_cnb=""
if [ -f "$1" ] && [[ "$1" == *.cnb ]]; then
  bp_cnb="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
else
  bp_dir="$(cd "$1" && pwd)" || die "no such directory: $1"
fi
name="${2:-$builder_default}"
lifecycle="$(lifecycle_tgz "${PYTHON_CNB_LIFECYCLE_VERSION:-$LIFECYCLE_VERSION_DEFAULT}" "$arch")"
PACK="$CACHE/bin/pack"

[ -n "$bp_cnb" ] || [ -f "$bp_dir/buildpack.toml" ] || die "$bp_dir/buildpack.toml not found"
[ -x "$PACK" ] || die "$PACK missing: run tools/e2e/cnb-tools.sh"
arch_flag=""
[ "$arch" = amd64 ] || arch_flag="--arch $arch "
[ -f "$lifecycle" ] || die "$lifecycle missing: run tools/e2e/cnb-tools.sh $arch_flag${PYTHON_CNB_LIFECYCLE_VERSION:-}"
for img in "$build_image" "$run_image"; do
  docker image inspect "$img" >/dev/null 2>&1 || die "image $img not in the daemon: run tools/e2e/base-images.sh $arch_flag"
done

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

if [ -n "$bp_cnb" ]; then
  # a buildpackage is an OCI image layout in a tar: index.json -> manifest -> config -> labels
  read -r bp_id bp_version < <(python3 - "$bp_cnb" <<'PY'
import json, sys, tarfile
with tarfile.open(sys.argv[1]) as tar:
    members = {m.name.lstrip("/").removeprefix("./"): m for m in tar.getmembers()}
    def load(name):
        return json.load(tar.extractfile(members[name]))
    def blob(descriptor):
        return load("blobs/" + descriptor["digest"].replace(":", "/"))
    manifest = load("index.json")
    while "manifests" in manifest:
        manifest = blob(manifest["manifests"][0])
    labels = blob(manifest["config"])["config"]["Labels"]
    meta = json.loads(labels["io.buildpacks.buildpackage.metadata"])
print(meta["id"], meta["version"])
PY
  ) || die "cannot read the buildpackage metadata of $bp_cnb"
  bp_uri="$bp_cnb"
  bp_from="$bp_cnb"
else
  read -r bp_id bp_version < <(python3 -c '
import sys, tomllib
bp = tomllib.load(open(sys.argv[1], "rb"))["buildpack"]
print(bp["id"], bp["version"])' "$bp_dir/buildpack.toml") || die "cannot read [buildpack] id/version from buildpack.toml"

  # pack copies a buildpack dir verbatim, so stage a filtered copy
  excludes=(--exclude-vcs --exclude=__pycache__ --exclude='*.pyc' --exclude=.pytest_cache --exclude=.venv
            --exclude=.mypy_cache --exclude=.ruff_cache)
  for p in ${PYTHON_CNB_BP_EXCLUDE:-}; do excludes+=(--exclude="./${p#./}"); done
  mkdir "$work/bp"
  tar -C "$bp_dir" "${excludes[@]}" -cf - . | tar -C "$work/bp" -xf -
  bp_uri="$work/bp"
  bp_from="$bp_dir"
fi
cat > "$work/builder.toml" <<TOML
description = "python-cnb offline test builder"

[[buildpacks]]
uri = "$bp_uri"

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

log "creating builder $name ($bp_id@$bp_version from $bp_from, build image $build_image, lifecycle $(basename "$lifecycle"))"
"$PACK" builder create "$name" --config "$work/builder.toml" --pull-policy never >&2
"$PACK" config trusted-builders add "$name" >&2
log "builder $name ready: pack build IMG --builder $name --path APP --pull-policy never --trust-builder --network host"
