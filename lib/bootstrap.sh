# Sourced by bin/detect and bin/build when the build image has no python3 >= 3.9 (POSIX sh).
# detect: the same file checks as lib/python_cnb/detect.py. build: download the newest interpreter from the
# active manifest (verified by sha256), then run the library with it; the library reuses that archive for the
# interpreter layer when the app asks for the same version. Needs curl or wget, sha256sum, tar and gzip.

bootstrap_fail() {
  printf '\n[Error: Unable to bootstrap Python]\n%s\n' "$1" >&2
  exit 1
}

if [ "$phase" = detect ]; then
  # BP_PIP_REQUIREMENT (Paketo's): the requirements files it names, split on spaces, never globbed.
  set -f
  for name in requirements.txt uv.lock poetry.lock Pipfile Pipfile.lock setup.py setup.cfg pyproject.toml \
    runtime.txt .python-version app.py wsgi.py asgi.py main.py manage.py .s2i requirement.txt \
    Requirements.txt REQUIREMENTS.txt requirements.text requirements.txt.txt requirements.in \
    pipfile Pipfile.txt pipfile.lock Poetry.lock poetry.lock.txt UV.lock uv.lock.txt pdm.lock PDM.lock pdm.lock.txt \
    pylock.toml pylock.toml.txt Pylock.toml ${BP_PIP_REQUIREMENT:-}; do
    { [ -e "$name" ] || [ -L "$name" ]; } && exit 0
    # APP_HOME: the S2I image's app subdirectory, when the platform gives it to detect.
    if [ -n "${APP_HOME:-}" ] && [ -d "$APP_HOME" ]; then
      { [ -e "$APP_HOME/$name" ] || [ -L "$APP_HOME/$name" ]; } && exit 0
    fi
  done
  # PEP 751's pylock.<name>.toml: the one glob (an unmatched pattern stays as written, and does not exist).
  set +f
  for name in pylock.*.toml ${APP_HOME:+"$APP_HOME"/pylock.*.toml}; do
    { [ -e "$name" ] || [ -L "$name" ]; } && exit 0
  done
  echo "No Python project files found (looked for: requirements.txt, setup.py, setup.cfg, pyproject.toml, Pipfile, runtime.txt, .python-version, app.py, wsgi.py, manage.py, .s2i and others)."
  exit 100
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/python-buildpack-bootstrap.XXXXXX")
layer_python="${CNB_LAYERS_DIR:-${1:-}}/python"
if [ -x "$layer_python/bin/python3" ] && "$layer_python/bin/python3" -I -c '' >/dev/null 2>&1; then
  # The interpreter layer restored from the cache: run from a copy, since the build may replace the layer.
  cp -a "$layer_python" "$work/python"
  exec "$work/python/bin/python3" -I "$bp_dir/lib/entry.py" "$phase" "$@"
fi

case "${CNB_TARGET_ARCH:-$(uname -m)}" in
  amd64 | x86_64) arch=amd64 ;;
  arm64 | aarch64) arch=arm64 ;;
  *) arch=${CNB_TARGET_ARCH:-$(uname -m)} ;;
esac

fetch() { # fetch URL FILE
  case "$1" in
    file://*) cp "${1#file://}" "$2" ;;
    *)
      if command -v curl >/dev/null 2>&1; then
        curl --fail --silent --show-error --location --retry 3 --max-time 300 --output "$2" "$1"
      elif command -v wget >/dev/null 2>&1; then
        wget --quiet --tries=3 --timeout=60 --output-document="$2" "$1"
      else
        bootstrap_fail "The build image has neither python3 (>= 3.9) nor curl or wget to download one."
      fi
      ;;
  esac
}

manifest="$bp_dir/buildpack.toml"
if [ -n "${BP_PYTHON_MANIFEST:-}" ]; then
  case "$BP_PYTHON_MANIFEST" in
    http://* | https://* | file://*) fetch "$BP_PYTHON_MANIFEST" "$work/manifest.toml" ||
      bootstrap_fail "BP_PYTHON_MANIFEST could not be downloaded." ;;
    /*) cp "$BP_PYTHON_MANIFEST" "$work/manifest.toml" ;;
    *) cp "./$BP_PYTHON_MANIFEST" "$work/manifest.toml" ;;
  esac
  manifest="$work/manifest.toml"
fi

# One line per [[python]] / [[metadata.python]] table: version arch url sha256. The buildpack itself runs on a
# default build: free-threaded entries (freethreaded = true) are left out.
entry=$(awk '
  function val(line) { sub(/^[^=]*=[ \t]*"/, "", line); sub(/".*$/, "", line); return line }
  function flush() { if (v != "" && !t) print v, a, u, s; v = a = u = s = ""; t = 0 }
  /^[ \t]*\[\[(metadata\.)?python\]\]/ { flush(); inblock = 1; next }
  /^[ \t]*\[/ { flush(); inblock = 0; next }
  inblock && /^[ \t]*version[ \t]*=/ { v = val($0) }
  inblock && /^[ \t]*arch[ \t]*=/ { a = val($0) }
  inblock && /^[ \t]*url[ \t]*=/ { u = val($0) }
  inblock && /^[ \t]*sha256[ \t]*=/ { s = val($0) }
  inblock && /^[ \t]*freethreaded[ \t]*=[ \t]*true/ { t = 1 }
  END { flush() }
' "$manifest" | awk -v arch="$arch" '$2 == arch' | sort -V -k1,1 | tail -n 1)
[ -n "$entry" ] || bootstrap_fail "The interpreter manifest has no Python build for '$arch'."
url=$(echo "$entry" | cut -d' ' -f3)
sha=$(echo "$entry" | cut -d' ' -f4)
upstream="https://github.com/astral-sh/python-build-standalone/releases/download"
if [ -n "${BP_PYTHON_MIRROR_URL:-}" ]; then
  case "$url" in "$upstream"/*) url="${BP_PYTHON_MIRROR_URL%/}${url#"$upstream"}" ;; esac
fi
echo "No python3 in the build image: bootstrapping Python $(echo "$entry" | cut -d' ' -f1) to run the buildpack"
fetch "$url" "$work/python.tar.gz" || bootstrap_fail "Downloading the interpreter failed (see above)."
echo "$sha  $work/python.tar.gz" | sha256sum -c --status ||
  bootstrap_fail "The downloaded interpreter does not match the sha256 in the manifest."
tar -xzf "$work/python.tar.gz" -C "$work" || bootstrap_fail "The interpreter archive could not be unpacked."
PYTHON_BUILDPACK_BOOTSTRAP_ARCHIVE="$work/python.tar.gz"
export PYTHON_BUILDPACK_BOOTSTRAP_ARCHIVE
exec "$work/python/bin/python3" -I "$bp_dir/lib/entry.py" "$phase" "$@"
