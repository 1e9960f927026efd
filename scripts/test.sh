#!/usr/bin/env bash
# The whole test suite: unit tests, integration tests on SQLite and PostgreSQL, and the
# Playwright journeys in Debian's Chromium against a freshly built server.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh --test

# The integration tests create (and drop) their own databases on this server.
export TEST_POSTGRES_URL=${TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}
if command -v pg_isready >/dev/null && ! pg_isready -q -d "$TEST_POSTGRES_URL"; then
  if command -v pg_ctlcluster >/dev/null; then
    echo "[test] starting the local PostgreSQL cluster"
    for version in $(ls /etc/postgresql 2>/dev/null); do
      pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
    done
  fi
fi

echo "[test] unit and integration tests (SQLite and PostgreSQL)"
cargo test -p app -p server

echo "[test] building the site for the end-to-end tests"
./scripts/build-site.sh

echo "[test] end-to-end tests in Chromium"
target_dir=${CARGO_TARGET_DIR:-target}
export EXX_SERVER_BIN="$PWD/$target_dir/debug/server"
case "$target_dir" in /*) export EXX_SERVER_BIN="$target_dir/debug/server" ;; esac
export EXX_SITE_ROOT="${LEPTOS_SITE_ROOT:-$(dirname "$EXX_SERVER_BIN")/../site}"
cd end2end && npx playwright test
