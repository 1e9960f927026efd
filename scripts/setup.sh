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

# The splitter that cuts the lazily loaded pages out of the main WASM file into chunks of their
# own (what cargo-leptos does with --split). 0.2.4 is the first that knows wasm-bindgen >= 0.2.128.
split_version=0.2.4
# The binary has no --version; cargo's own list of installed packages says which one is there.
if ! command -v wasm-split-cli >/dev/null || ! cargo install --list | grep -qx "wasm_split_cli_support v$split_version:"; then
  say "installing wasm_split_cli_support $split_version (the wasm-split-cli binary, about 2 minutes)"
  cargo install --locked wasm_split_cli_support --version "$split_version" --features build-binary
fi

command -v node >/dev/null || { echo "Node.js (>= 20.19) is needed for sass and wasm-opt" >&2; exit 1; }

# npm packages: sass, wasm-opt (binaryen) and terser at the root; Playwright in end2end/. `npm ci` runs only
# when the lockfile changed since the last install.
npm_install() {
  local dir=$1
  if [ ! -f "$dir/node_modules/.package-lock.json" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    say "installing npm packages in $dir"
    (cd "$dir" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
  fi
}
npm_install .

# True when python3 is a system Python that refuses pip install (PEP 668); a virtual
# environment never is, whatever its base.
externally_managed() {
  python3 -c 'import os, sys, sysconfig
marker = os.path.join(sysconfig.get_path("stdlib"), "EXTERNALLY-MANAGED")
sys.exit(0 if sys.prefix == sys.base_prefix and os.path.exists(marker) else 1)'
}

if $want_test; then
  npm_install end2end
  # The independent checkers (checkers/) need icalendar for calendars and zxing-cpp and pillow
  # for QR codes; the integration tests start a real SMTP listener with aiosmtpd. A .venv left
  # by an earlier run is the Python the tests use (scripts/test.sh puts it first on PATH).
  python=python3
  if [ -x .venv/bin/python3 ]; then python=.venv/bin/python3; fi
  if ! "$python" -c "import icalendar, aiosmtpd, zxingcpp, PIL" 2>/dev/null; then
    # A distribution's Python may refuse pip install outside a virtual environment (PEP 668:
    # an EXTERNALLY-MANAGED file beside its standard library). That one gets .venv in the
    # repository root instead of a failure; any other Python installs directly, as before.
    if [ "$python" = python3 ] && externally_managed; then
      say "python3 is externally managed (PEP 668): installing into a virtual environment in .venv"
      if ! python3 -m venv .venv; then
        # Debian ships the venv module (and the ensurepip it needs) as a package of its own.
        rm -rf .venv
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq python3-venv >/dev/null
        python3 -m venv .venv
      fi
      python=.venv/bin/python3
    fi
    say "installing the Python packages icalendar, aiosmtpd, zxing-cpp and pillow ($python)"
    "$python" -m pip install -q 'icalendar>=6' 'aiosmtpd>=1.4' 'zxing-cpp>=2.2' pillow
  fi
  if ! command -v chromium >/dev/null; then
    say "installing Debian's chromium for the end-to-end tests"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq chromium >/dev/null
  fi
fi
say "tools ready"
