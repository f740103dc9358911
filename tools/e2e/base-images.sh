#!/usr/bin/env bash
# Build the CNB base images from a Debian bookworm minbase rootfs (debootstrap + docker import):
#   python-cnb/build:bookworm           build image, python3 + curl + gcc (no clang), user cnb 1001:1000
#   python-cnb/build-nopython:bookworm  same without python3 (bootstrap path)
#   python-cnb/run:bookworm             run image, CPython's shared libs, user cnb 1002:1000
# `base-images.sh --arch arm64` makes python-cnb/build:bookworm-arm64 and python-cnb/run:bookworm-arm64 (linux/arm64)
# from ONE rootfs (python3, curl and the run image's libraries; no gcc), as the emulated second stage is the slow
# part: `debootstrap --arch arm64 --foreign`, then the second stage in a chroot under qemu-user-static (qemu.sh).
# All carry the HOST's CA bundle (this network intercepts TLS to PyPI).
# Caches: $CACHE/rootfs/<name>-<key>.tar (keyed by suite/mirror/packages/ROOTFS_REV) and
# an image label io.python-cnb.cache-key (rootfs key + CA bundle sha256 + this script's sha256).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

ROOTFS_REV=1   # bump when changing how rootfs tarballs are made
ARCH=amd64
if [ "${1:-}" = --arch ]; then ARCH="${2:?--arch amd64|arm64}"; shift 2; fi
case "$ARCH" in amd64 | arm64) ;; *) die "unsupported --arch $ARCH (amd64 or arm64)" ;; esac
SUITE=bookworm
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt
PATH_ENV=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
CNB_GID=1000 BUILD_UID=1001 RUN_UID=1002

# gcc and libc6-dev: C extensions built from source must work with gcc alone (the interpreter's sysconfig
# names clang; the buildpack rewrites it).
BUILD_PKGS=ca-certificates,curl,python3,gcc,libc6-dev
NOPYTHON_PKGS=ca-certificates,curl
RUN_PKGS=ca-certificates,libssl3,libsqlite3-0,libffi8,liblzma5,libbz2-1.0,zlib1g,libncursesw6,libreadline8,libuuid1
ARM64_PKGS="ca-certificates,curl,python3,${RUN_PKGS#ca-certificates,}"

[ -s "$CA_BUNDLE" ] || die "host CA bundle $CA_BUNDLE missing"
docker info >/dev/null 2>&1 || die "docker daemon not reachable: run tools/e2e/docker.sh first"
command -v debootstrap >/dev/null || apt_install debootstrap
if [ "$ARCH" = arm64 ]; then "$E2E_DIR/qemu.sh"; fi
CA_SHA="$(sha < "$CA_BUNDLE")"
SCRIPT_SHA="$(sha < "${BASH_SOURCE[0]}")"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$CACHE/rootfs" "$CACHE/debs"

# rootfs NAME PKGS: print the path of a cached minbase rootfs tarball with PKGS installed
rootfs() {
  local name="$1" pkgs="$2" key out dir
  key="$(echo "rev=$ROOTFS_REV $SUITE $MIRROR $pkgs" | sha | cut -c1-16)"
  [ "$ARCH" = amd64 ] || key="$(echo "$key arch=$ARCH" | sha | cut -c1-16)"   # amd64 keys stay as they were
  out="$CACHE/rootfs/$name-$key.tar"
  if [ ! -f "$out" ]; then
    log "debootstrap $SUITE minbase $ARCH for $name (+ $pkgs)"
    dir="$WORK/rootfs-$name"
    if [ "$ARCH" = amd64 ]; then
      debootstrap --variant=minbase --include="$pkgs" --cache-dir="$CACHE/debs" "$SUITE" "$dir" "$MIRROR" \
        > "$WORK/debootstrap-$name.log" 2>&1 || { tail -30 "$WORK/debootstrap-$name.log" >&2; die "debootstrap failed"; }
    else
      # first stage unpacks on the host; the second runs the target's dpkg and maintainer scripts under qemu
      debootstrap --arch "$ARCH" --foreign --variant=minbase --include="$pkgs" --cache-dir="$CACHE/debs" \
        "$SUITE" "$dir" "$MIRROR" > "$WORK/debootstrap-$name.log" 2>&1 \
        || { tail -30 "$WORK/debootstrap-$name.log" >&2; die "debootstrap --foreign failed"; }
      # no fsync per file: an emulated dpkg is slow enough, and a failed run leaves nothing in the cache
      echo force-unsafe-io > "$dir/etc/dpkg/dpkg.cfg.d/python-cnb-unsafe-io"
      chroot "$dir" /debootstrap/debootstrap --second-stage >> "$WORK/debootstrap-$name.log" 2>&1 \
        || { tail -30 "$WORK/debootstrap-$name.log" >&2; tail -30 "$dir/debootstrap/debootstrap.log" >&2 || true
             die "debootstrap --second-stage (under qemu) failed"; }
      rm -f "$dir/etc/dpkg/dpkg.cfg.d/python-cnb-unsafe-io"
    fi
    rm -rf "$dir"/var/lib/apt/lists/* "$dir"/var/cache/apt/*.bin "$dir"/var/cache/apt/archives/*.deb \
      "$dir"/var/log/* "$dir"/etc/hostname "$dir"/etc/resolv.conf
    # Drop tarballs of older keys once unused for a week (checkouts with another package list share the cache).
    find "$CACHE/rootfs" -name "$name-*.tar" -mtime +7 -delete
    tar -C "$dir" --numeric-owner -cf "$out.tmp" .
    mv "$out.tmp" "$out"
    rm -rf "$dir"
  fi
  echo "$out"
}

# set_arch NAME ARCH: record ARCH as the image's architecture. Debian 12's engine (20.10) ignores
# `docker import --platform` unless the daemon is experimental, so rewrite the config of `docker save`'s archive.
# The lifecycle takes the target arch (CNB_TARGET_ARCH) from the run image's config, pack the builder's from
# the build image's.
set_arch() {
  local name="$1" arch="$2" dir="$WORK/save"
  rm -rf "$dir" && mkdir -p "$dir"
  docker save "$name" | tar -C "$dir" -xf -
  python3 - "$dir" "$arch" <<'PY'
import hashlib, json, os, sys
root, arch = sys.argv[1], sys.argv[2]
with open(os.path.join(root, "manifest.json")) as f:
    manifest = json.load(f)
old = manifest[0]["Config"]
with open(os.path.join(root, old)) as f:
    config = json.load(f)
config["architecture"] = arch
if arch == "arm64":
    config["variant"] = "v8"
data = json.dumps(config, separators=(",", ":")).encode()
new = hashlib.sha256(data).hexdigest() + ".json"
os.remove(os.path.join(root, old))
with open(os.path.join(root, new), "wb") as f:
    f.write(data)
manifest[0]["Config"] = new
with open(os.path.join(root, "manifest.json"), "w") as f:
    json.dump(manifest, f)
PY
  docker rmi "$name" >/dev/null
  tar -C "$dir" -c . | docker load >/dev/null
  rm -rf "$dir"
  [ "$(docker image inspect -f '{{.Architecture}}' "$name")" = "$arch" ] || die "$name: architecture is not $arch"
}

# image NAME ROOTFS_TAR UID [docker import --change ...]
image() {
  local name="$1" tar="$2" uid="$3" key dir old; shift 3
  key="$(echo "$(basename "$tar") ca=$CA_SHA script=$SCRIPT_SHA" | sha | cut -c1-16)"
  if [ "$(docker image inspect -f "{{index .Config.Labels \"$CACHE_KEY_LABEL\"}}" "$name" 2>/dev/null)" = "$key" ]; then
    log "$name: up to date (key $key)"; return
  fi
  log "$name: importing (key $key)"
  dir="$WORK/img"
  rm -rf "$dir" && mkdir -p "$dir"
  tar -C "$dir" --numeric-owner -xf "$tar"
  # non-root user cnb (uid $uid, group cnb $CNB_GID) with a writable HOME
  echo "cnb:x:$CNB_GID:" >> "$dir/etc/group"
  echo "cnb:!::" >> "$dir/etc/gshadow"
  echo "cnb:x:$uid:$CNB_GID:cnb:/home/cnb:/bin/bash" >> "$dir/etc/passwd"
  echo "cnb:!:19000:0:99999:7:::" >> "$dir/etc/shadow"
  install -d -o "$uid" -g "$CNB_GID" -m 0755 "$dir/home/cnb"
  install -m 0644 "$CA_BUNDLE" "$dir/etc/ssl/certs/ca-certificates.crt"
  old="$(docker image inspect -f '{{.Id}}' "$name" 2>/dev/null || true)"
  tar -C "$dir" --numeric-owner -c . | docker import \
    --change "ENV PATH=$PATH_ENV" \
    --change "LABEL io.buildpacks.base.distro.name=debian" \
    --change "LABEL io.buildpacks.base.distro.version=12" \
    --change "LABEL $CACHE_KEY_LABEL=$key" \
    "$@" - "$name" >/dev/null
  rm -rf "$dir"
  [ "$ARCH" = amd64 ] || set_arch "$name" "$ARCH"
  if [ -n "$old" ]; then docker rmi "$old" >/dev/null 2>&1 || true; fi   # fails harmlessly while a builder uses it
  log "$name: done"
}

build_changes=(--change "ENV CNB_USER_ID=$BUILD_UID" --change "ENV CNB_GROUP_ID=$CNB_GID"
               --change "USER $BUILD_UID:$CNB_GID" --change "WORKDIR /home/cnb")
if [ "$ARCH" = arm64 ]; then
  arm64_tar="$(rootfs arm64 "$ARM64_PKGS")"
  image "$BUILD_IMAGE$ARM64_SUFFIX" "$arm64_tar" "$BUILD_UID" "${build_changes[@]}"
  image "$RUN_IMAGE$ARM64_SUFFIX"   "$arm64_tar" "$RUN_UID" \
    --change "USER $RUN_UID:$CNB_GID" --change "WORKDIR /home/cnb"
  exit 0
fi
image "$BUILD_IMAGE"          "$(rootfs build "$BUILD_PKGS")"       "$BUILD_UID" "${build_changes[@]}"
image "$BUILD_NOPYTHON_IMAGE" "$(rootfs nopython "$NOPYTHON_PKGS")" "$BUILD_UID" "${build_changes[@]}"
image "$RUN_IMAGE"            "$(rootfs run "$RUN_PKGS")"           "$RUN_UID" \
  --change "USER $RUN_UID:$CNB_GID" --change "WORKDIR /home/cnb"
