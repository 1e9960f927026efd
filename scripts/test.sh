#!/usr/bin/env bash
# The whole test suite: the checkers' self-test, unit tests, integration tests on SQLite and
# PostgreSQL, and the Playwright journeys in Debian's Chromium against a freshly built server.
set -euo pipefail
cd "$(dirname "$0")/.."

# EXX_SKIP_POSTGRES=1 runs the integration tests on SQLite only. That is easy to miss in a long
# log, so it is announced at the start and again at the end, however the run ends.
export EXX_SKIP_POSTGRES=${EXX_SKIP_POSTGRES:-0}
postgres_skipped_banner() {
  cat >&2 <<'EOF'

##########################################################################################
##  SKIPPED: the PostgreSQL half of the integration suite did NOT run in this test run. ##
##  Why: EXX_SKIP_POSTGRES=1 was set, so only SQLite was tested. Unset it to test       ##
##  PostgreSQL too (this script then starts, or installs, a local server).              ##
##########################################################################################

EOF
}
if [ "$EXX_SKIP_POSTGRES" = 1 ]; then
  postgres_skipped_banner
  trap postgres_skipped_banner EXIT
fi

./scripts/setup.sh --test

# setup.sh installs the Python packages into .venv when the system Python refuses pip install
# (PEP 668). The Rust and Playwright tests run the checkers as `python3`, so that Python must
# come first on PATH, as an absolute path since those tests run from other directories.
if [ -x .venv/bin/python3 ]; then
  export PATH="$PWD/.venv/bin:$PATH"
fi

# The checkers judge the application's output in the tests below; first they show that they
# can tell good from bad themselves.
echo "[test] self-test of the independent checkers"
python3 checkers/test_checkers.py

# The integration tests create (and drop) their own databases on this server.
export TEST_POSTGRES_URL=${TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}

postgres_answers() {
  command -v pg_isready >/dev/null && pg_isready -q -t 5 -d "$TEST_POSTGRES_URL"
}

postgres_login_works() {
  PGCONNECT_TIMEOUT=5 psql -w -q -d "$TEST_POSTGRES_URL" -c 'select 1' >/dev/null
}

# Succeeds when the server answers afterwards.
start_local_clusters() {
  command -v pg_ctlcluster >/dev/null || return 1
  echo "[test] starting the local PostgreSQL cluster"
  for version in $(ls /etc/postgresql 2>/dev/null); do
    # Exits non-zero when the cluster already runs: what counts is whether it answers.
    pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  done
  postgres_answers
}

# Debian's clusters ask for a password over TCP (scram-sha-256), and the tests log in as
# postgres without one. When that login fails, trust that user from the loopback addresses
# only, ahead of the stock rules (pg_hba.conf applies the first line that matches).
allow_local_trust() {
  command -v psql >/dev/null || return 0
  postgres_login_works 2>/dev/null && return 0
  local hba changed=false
  for hba in /etc/postgresql/*/main/pg_hba.conf; do
    [ -f "$hba" ] || continue
    grep -q '^# scripts/test.sh: trust' "$hba" && continue
    echo "[test] allowing trust authentication for postgres over loopback TCP in $hba"
    {
      echo "# scripts/test.sh: trust for the tests, which log in as postgres without a password"
      echo "host all postgres 127.0.0.1/32 trust"
      echo "host all postgres ::1/128 trust"
      cat "$hba"
    } >"$hba.exx-new"
    # Written over the original, so that its owner and mode stay.
    cat "$hba.exx-new" >"$hba"
    rm -f "$hba.exx-new"
    changed=true
  done
  if $changed; then
    for version in $(ls /etc/postgresql 2>/dev/null); do
      pg_ctlcluster --skip-systemctl-redirect "$version" main reload || true
    done
  fi
}

if [ "$EXX_SKIP_POSTGRES" != 1 ]; then
  if ! postgres_answers; then
    if ! start_local_clusters; then
      echo "[test] installing Debian's postgresql for the integration tests"
      export DEBIAN_FRONTEND=noninteractive
      apt-get update -qq
      apt-get install -y -qq postgresql >/dev/null
      # The package creates a cluster; should there be none (one was dropped), make one.
      if [ -z "$(ls /etc/postgresql 2>/dev/null)" ]; then
        pg_createcluster "$(ls /usr/lib/postgresql | sort -V | tail -n 1)" main
      fi
      start_local_clusters || true
    fi
    allow_local_trust
  fi
  if ! postgres_answers; then
    echo "[test] PostgreSQL does not answer at $TEST_POSTGRES_URL, even after trying to start (and install) it." >&2
    echo "[test] Point TEST_POSTGRES_URL at a server, or set EXX_SKIP_POSTGRES=1 to test on SQLite only." >&2
    exit 1
  fi
  if command -v psql >/dev/null && ! postgres_login_works; then
    echo "[test] PostgreSQL answers at $TEST_POSTGRES_URL but refuses the login (see above)." >&2
    echo "[test] Point TEST_POSTGRES_URL at a server, or set EXX_SKIP_POSTGRES=1 to test on SQLite only." >&2
    exit 1
  fi
fi

if [ "$EXX_SKIP_POSTGRES" = 1 ]; then
  echo "[test] unit and integration tests (SQLite only: EXX_SKIP_POSTGRES=1)"
else
  echo "[test] unit and integration tests (SQLite and PostgreSQL)"
fi
cargo test -p app -p server

echo "[test] building the site for the end-to-end tests"
./scripts/build-site.sh

echo "[test] end-to-end tests in Chromium"
target_dir=${CARGO_TARGET_DIR:-target}
export EXX_SERVER_BIN="$PWD/$target_dir/debug/server"
case "$target_dir" in /*) export EXX_SERVER_BIN="$target_dir/debug/server" ;; esac
export EXX_SITE_ROOT="${LEPTOS_SITE_ROOT:-$(dirname "$EXX_SERVER_BIN")/../site}"
cd end2end
# Each spec file runs against a server of its own with a fresh demo database (the config makes
# one per run), so no journey depends on what another one did before it. All files run, and
# the failures are counted at the end, so one failing file does not hide the others.
failed_specs=()
for spec in tests/*.spec.ts; do
  echo "[test] end-to-end: $spec (fresh server and database)"
  npx playwright test "$spec" || failed_specs+=("$spec")
done
if [ ${#failed_specs[@]} -gt 0 ]; then
  echo "[test] end-to-end journeys FAILED in: ${failed_specs[*]}" >&2
  exit 1
fi
