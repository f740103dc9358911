#!/usr/bin/env bash
# Build the CNB lifecycle and pack from source through the Go module proxy.
#   cnb-tools.sh [LIFECYCLE_VERSION]     default 0.21.17; PACK_VERSION env, default 0.40.6
#   cnb-tools.sh --arch arm64 [VERSION]  the lifecycle only, cross-compiled with GOARCH=arm64 (for the arm64 builder)
# Outputs (cached, keyed by version + arch + go version + this script's hash):
#   $CACHE/lifecycle-v<ver>+linux.x86-64.tgz   lifecycle.toml + lifecycle/{lifecycle,launcher,<phase symlinks>}
#   $CACHE/lifecycle-v<ver>+linux.arm64.tgz    the same for linux/arm64 (--arch arm64)
#   $CACHE/bin/pack
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

ARCH=amd64
if [ "${1:-}" = --arch ]; then ARCH="${2:?--arch amd64|arm64}"; shift 2; fi
case "$ARCH" in amd64 | arm64) ;; *) die "unsupported --arch $ARCH (amd64 or arm64)" ;; esac
LIFECYCLE_VERSION="${1:-$LIFECYCLE_VERSION_DEFAULT}"
LIFECYCLE_VERSION="${LIFECYCLE_VERSION#v}"
PACK_VERSION="${PACK_VERSION#v}"

command -v go >/dev/null || die "go not found on PATH (need Go >= 1.26.6 for lifecycle v0.21.17, >= 1.25.10 for pack v0.40.6)"
GO_VERSION="$(go env GOVERSION)"
SCRIPT_SHA="$(sha < "${BASH_SOURCE[0]}")"
WORK="$(mktemp -d)"
trap 'chmod -R u+w "$WORK" 2>/dev/null; rm -rf "$WORK"' EXIT

# copy_module MODULE VERSION DEST: download a module and make a writable copy of its source
copy_module() {
  local json dir
  json="$(go mod download -json "$1@v$2")" || die "go mod download $1@v$2 failed: $json"
  dir="$(sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p' <<<"$json")"
  [ -d "$dir" ] || die "no module dir for $1@v$2 in: $json"
  cp -r "$dir" "$3"
  chmod -R u+w "$3"
  # the upstream commit, for the version string
  sed -n 's/^[[:space:]]*"Hash": "\([0-9a-f]\{7\}\).*/\1/p' <<<"$json"
}

# lifecycle >= 0.20 needs github.com/osscontainertools/kaniko (only for the `extender` phase,
# i.e. Dockerfile image extensions). If the module proxy refuses it, replace the lifecycle's
# kaniko adapter package with a stub whose extender fails with a clear error.
stub_kaniko_if_unavailable() {
  local src="$1" mod ver
  read -r mod ver < <(sed -n 's/^[[:space:]]*\(github.com\/[^ ]*\/kaniko\) \(v[^ ]*\).*/\1 \2/p' "$src/go.mod")
  [ -n "${mod:-}" ] || return 0
  go mod download "$mod@$ver" 2>/dev/null && return 0
  log "WARNING: $mod@$ver is not served by the Go module proxy: stubbing internal/extend/kaniko (extender phase disabled)"
  rm -f "$src"/internal/extend/kaniko/*.go
  cat > "$src/internal/extend/kaniko/stub.go" <<'GO'
// Package kaniko: offline stub, written by tools/e2e/cnb-tools.sh because the kaniko module
// could not be downloaded. Image extensions (Dockerfiles applied by the extender) are unsupported.
package kaniko

import (
	"errors"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/buildpacks/lifecycle/internal/extend"
	"github.com/buildpacks/lifecycle/log"
)

var errStub = errors.New("this lifecycle was built without kaniko: image extensions are not supported")

type DockerfileApplier struct{}

func NewDockerfileApplier() (*DockerfileApplier, error) { return nil, errStub }

func (a *DockerfileApplier) ImageFor(string) (v1.Image, error) { return nil, errStub }

func (a *DockerfileApplier) Apply(extend.Dockerfile, v1.Image, extend.Options, log.Logger) (v1.Image, error) {
	return nil, errStub
}

func (a *DockerfileApplier) Cleanup() error { return nil }
GO
}

build_lifecycle() {
  local out key src commit pkg ldflags phase
  out="$(lifecycle_tgz "$LIFECYCLE_VERSION" "$ARCH")"
  key="lifecycle=$LIFECYCLE_VERSION go=$GO_VERSION script=$SCRIPT_SHA"
  [ "$ARCH" = amd64 ] || key+=" arch=$ARCH"   # amd64 keys stay as they were
  if [ -f "$out" ] && [ "$(cat "$out.key" 2>/dev/null)" = "$key" ]; then
    log "lifecycle v$LIFECYCLE_VERSION ($ARCH): cached at $out"; return
  fi
  log "lifecycle v$LIFECYCLE_VERSION ($ARCH): building with $GO_VERSION"
  src="$WORK/lifecycle"
  commit="$(copy_module github.com/buildpacks/lifecycle "$LIFECYCLE_VERSION" "$src")"
  stub_kaniko_if_unavailable "$src"
  pkg="$src/out/lifecycle"
  mkdir -p "$pkg"
  ldflags="-s -w -X 'github.com/buildpacks/lifecycle/cmd.SCMRepository=github.com/buildpacks/lifecycle'"
  ldflags+=" -X 'github.com/buildpacks/lifecycle/cmd.SCMCommit=${commit:-unknown}'"
  ldflags+=" -X 'github.com/buildpacks/lifecycle/cmd.Version=$LIFECYCLE_VERSION'"
  CGO_ENABLED=0 GOOS=linux GOARCH="$ARCH" go -C "$src" build -buildvcs=false -trimpath -ldflags "$ldflags" -o "$pkg/lifecycle" ./cmd/lifecycle
  CGO_ENABLED=0 GOOS=linux GOARCH="$ARCH" go -C "$src" build -buildvcs=false -trimpath -ldflags "$ldflags" -o "$pkg/launcher" ./cmd/launcher
  for phase in detector analyzer restorer builder exporter rebaser creator extender; do
    ln -sf lifecycle "$pkg/$phase"
  done
  # The upstream packager renders lifecycle.toml (with this version's API lists) and writes the .tgz.
  go -C "$src" run -buildvcs=false ./tools/packager -inputDir "$pkg" -descriptorPath lifecycle.toml \
    -archivePath "$WORK/lifecycle.tgz" -version "$LIFECYCLE_VERSION" >&2
  tar -xzOf "$WORK/lifecycle.tgz" lifecycle.toml | grep "version = \"$LIFECYCLE_VERSION\"" >/dev/null \
    || die "packaged archive lacks a lifecycle.toml for $LIFECYCLE_VERSION"
  mv "$WORK/lifecycle.tgz" "$out"
  echo "$key" > "$out.key"
  log "lifecycle v$LIFECYCLE_VERSION ($ARCH): wrote $out"
}

build_pack() {
  local out="$CACHE/bin/pack" key src
  key="pack=$PACK_VERSION go=$GO_VERSION script=$SCRIPT_SHA"
  if [ -x "$out" ] && [ "$(cat "$out.key" 2>/dev/null)" = "$key" ]; then
    log "pack v$PACK_VERSION: cached at $out"; return
  fi
  log "pack v$PACK_VERSION: building with $GO_VERSION (go install is refused: pack's go.mod has a replace directive)"
  src="$WORK/pack"
  copy_module github.com/buildpacks/pack "$PACK_VERSION" "$src" >/dev/null
  mkdir -p "$CACHE/bin"
  CGO_ENABLED=0 go -C "$src" build -buildvcs=false -trimpath \
    -ldflags "-s -w -X 'github.com/buildpacks/pack/pkg/client.Version=$PACK_VERSION'" -o "$WORK/pack-bin" .
  mv "$WORK/pack-bin" "$out"
  echo "$key" > "$out.key"
  log "pack v$PACK_VERSION: wrote $out ($("$out" version))"
}

build_lifecycle
[ "$ARCH" != amd64 ] || build_pack
