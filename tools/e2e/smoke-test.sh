#!/usr/bin/env bash
# End-to-end proof of the offline pack setup, with a throwaway buildpack written to a temp dir.
#   smoke-test.sh [--nopython]
# Builds a builder, runs `pack build` twice (the 2nd must restore a cache layer), checks that the
# build reaches PyPI (pip with PIP_CERT when python3 is present, else curl), runs the app image
# with --network host and curls it on 127.0.0.1:${SMOKE_PORT:-8080}.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

builder_opt=() builder=python-cnb/smoke-builder:bookworm app_image=python-cnb/smoke-app
if [ "${1:-}" = --nopython ]; then
  builder_opt=(--nopython) builder=python-cnb/smoke-builder-nopython:bookworm app_image=python-cnb/smoke-app-nopython
fi
port="${SMOKE_PORT:-8080}"
PACK="$CACHE/bin/pack"
work="$(mktemp -d /tmp/python-cnb-smoke.XXXXXX)"
ctr=""
trap '[ -n "$ctr" ] && docker rm -f "$ctr" >/dev/null 2>&1; rm -rf "$work"' EXIT

# --- throwaway buildpack ------------------------------------------------------------------
bp="$work/bp"; mkdir -p "$bp/bin" "$work/app"
echo "hello" > "$work/app/README"
cat > "$bp/buildpack.toml" <<'TOML'
api = "0.10"
[buildpack]
id = "python-cnb-smoke/hello"
version = "0.0.1"
[[targets]]
os = "linux"
arch = "amd64"
TOML
printf '#!/bin/sh\nexit 0\n' > "$bp/bin/detect"
cat > "$bp/bin/build" <<'BUILD'
#!/usr/bin/env bash
set -euo pipefail
layers="${CNB_LAYERS_DIR:-$1}"
echo "smoke: build runs as uid $(id -u) gid $(id -g), PIP_CERT=${PIP_CERT:-unset}"

# network: reach PyPI through the TLS-intercepting proxy
if command -v python3 >/dev/null; then
  python3 - <<'PY'
import json, urllib.parse, urllib.request
api = "https://pypi.org/pypi/pip/json"
d = json.load(urllib.request.urlopen(api))
url = next(u["url"] for u in d["urls"] if u["filename"].endswith(".whl"))
urllib.request.urlretrieve(urllib.parse.urljoin(api, url), "/tmp/pip.whl")   # the index may answer relative URLs
PY
  python3 /tmp/pip.whl/pip download six --no-deps -q -d /tmp/dl   # pip uses PIP_CERT
  echo "smoke: pip download from PyPI ok: $(ls /tmp/dl)"
else
  curl -fsS -o /dev/null https://pypi.org/simple/six/ && echo "smoke: curl to PyPI ok (no python3)"
fi

# cache layer: a counter restored from the cache volume on the next build
mkdir -p "$layers/counter"
n=$(( $(cat "$layers/counter/count" 2>/dev/null || echo 0) + 1 ))
echo "$n" > "$layers/counter/count"
printf '[types]\ncache = true\n' > "$layers/counter.toml"
echo "smoke: build count: $n"

# launch layer: a tiny HTTP server in perl (perl-base is in every Debian image)
mkdir -p "$layers/web/bin"
cat > "$layers/web/bin/serve" <<'PL'
#!/usr/bin/perl
use strict; use warnings; use IO::Socket::INET;
my $port = $ENV{PORT} || 8080;
my $s = IO::Socket::INET->new(LocalAddr => "127.0.0.1", LocalPort => $port, Listen => 5, ReuseAddr => 1)
  or die "listen on $port: $!";
$| = 1; print "listening on 127.0.0.1:$port\n";
while (my $c = $s->accept) {
  while (my $l = <$c>) { last if $l =~ /^\r?\n$/ }
  my $body = "hello from python-cnb smoke test, uid $<\n";
  print $c "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " . length($body) . "\r\n\r\n$body";
  close $c;
}
PL
chmod +x "$layers/web/bin/serve"
printf '[types]\nlaunch = true\n' > "$layers/web.toml"
cat > "$layers/launch.toml" <<TOML
[[processes]]
type = "web"
command = ["$layers/web/bin/serve"]
default = true
TOML
BUILD
chmod +x "$bp/bin/detect" "$bp/bin/build"

# --- builder, two builds, run --------------------------------------------------------------
"$E2E_DIR/builder.sh" "${builder_opt[@]}" "$bp" "$builder"
for i in 1 2; do
  log "pack build #$i"
  start=$SECONDS
  clear=(); [ "$i" = 1 ] && clear=(--clear-cache)   # build #1 starts from an empty cache volume
  "$PACK" build "$app_image" --builder "$builder" --path "$work/app" "${clear[@]}" \
    --pull-policy never --trust-builder --network host > "$work/build$i.log" 2>&1 \
    || { cat "$work/build$i.log" >&2; die "pack build #$i failed"; }
  grep -E 'smoke:|Restoring|Reusing' "$work/build$i.log" >&2 || true
  log "pack build #$i took $((SECONDS - start)) s"
done
grep -q 'smoke: build count: 2' "$work/build2.log" \
  || { cat "$work/build2.log" >&2; die "2nd build did not restore the cache layer"; }

ctr="$(docker run -d --network host -e PORT="$port" "$app_image")"
for _ in $(seq 40); do
  if out="$(curl -fsS --max-time 2 "http://127.0.0.1:$port/" 2>/dev/null)"; then
    log "app answered: $out"
    log "SMOKE TEST PASSED"
    exit 0
  fi
  sleep 0.5
done
docker logs "$ctr" >&2 || true
die "app did not answer on 127.0.0.1:$port"
