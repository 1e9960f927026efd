#!/usr/bin/env bash
# Installs what building (and, with `--test`, testing) the site needs, skipping whatever is already
# present so that a warm machine passes through in seconds. Everything comes from the cargo, npm and
# pip package registries or Debian packages: no step downloads a prebuilt binary from elsewhere.
set -euo pipefail
cd "$(dirname "$0")/.."

want_test=false
[ "${1:-}" = "--test" ] && want_test=true

say() { printf '[setup] %s\n' "$*"; }

# The wasm-bindgen CLI must match the crate version pinned in the workspace exactly, or the
# generated JS glue and the compiled module disagree at runtime.
bindgen_version=$(sed -n 's/^wasm-bindgen = "=\([0-9.]*\)".*/\1/p' Cargo.toml)
[ -n "$bindgen_version" ] || { echo "wasm-bindgen is not pinned with = in Cargo.toml" >&2; exit 1; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$bindgen_version" ]; then
  say "installing wasm-bindgen-cli $bindgen_version (about 2 minutes)"
  # Not --locked: the CLI's own lockfile names a crate version the registry no longer serves.
  cargo install wasm-bindgen-cli --version "$bindgen_version"
fi

command -v node >/dev/null || { echo "Node.js (>= 20.19) is needed for sass and wasm-opt" >&2; exit 1; }

# npm packages: sass, wasm-opt (binaryen) at the root; Playwright in end2end/. `npm ci` runs only
# when the lockfile changed since the last install.
npm_install() {
  local dir=$1
  if [ ! -f "$dir/node_modules/.package-lock.json" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    say "installing npm packages in $dir"
    (cd "$dir" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
  fi
}
npm_install .

if $want_test; then
  npm_install end2end
  # The calendar validator among the independent checkers needs icalendar, the QR decoder
  # zxing-cpp and pillow; the integration tests start a real SMTP listener with aiosmtpd.
  if ! python3 -c "import icalendar, aiosmtpd, zxingcpp, PIL" 2>/dev/null; then
    say "installing the Python packages icalendar, aiosmtpd, zxing-cpp and pillow"
    python3 -m pip install -q 'icalendar>=6' 'aiosmtpd>=1.4' 'zxing-cpp>=2.2' pillow
  fi
  if ! command -v chromium >/dev/null; then
    say "installing Debian's chromium for the end-to-end tests"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq chromium >/dev/null
  fi
fi
say "tools ready"
