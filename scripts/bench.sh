#!/usr/bin/env bash
# `make bench`: builds release, runs every benchmark of the project on SQLite and (when one
# answers) PostgreSQL, and prints one table — operation, backend, clients, operations/s, p50,
# p99, CPU ms per operation and peak memory — with the browser bundle's size, raw and gzipped.
# The table is also written as JSON. Benchmarks print figures; they never fail on timing.
#
# The benchmarks run the server and their load generator in one process on loopback, so the CPU
# and memory columns are of both together. Sizes come from the environment as in each benchmark
# (CLIENTS, TICKETS, …); the timed runs last BENCH_SECONDS (default 5), which keeps the whole
# under 10 minutes. (Not SECONDS: bash keeps its own clock in that name.)
set -euo pipefail
cd "$(dirname "$0")/.."

target_dir=${CARGO_TARGET_DIR:-target}
out_dir=$target_dir/bench
mkdir -p "$out_dir"
figures=$out_dir/figures.jsonl
: > "$figures"

say() { printf '[bench] %s\n' "$*"; }

say "release build: the site (browser bundle, size-optimised) and the server"
./scripts/build-site.sh --release
cargo build --release -p server --examples

export BENCH_JSON=$figures
started=$(date +%s)
for bench in checkin registration agenda meetings feed grants; do
  say "bench_$bench"
  env SECONDS="${BENCH_SECONDS:-5}" "$target_dir/release/examples/bench_$bench" 2>&1 | tee "$out_dir/bench_$bench.log"
done
say "benchmarks took $(( $(date +%s) - started )) s"

pkg=${LEPTOS_SITE_ROOT:-$target_dir/site}/pkg
python3 - "$figures" "$pkg" "$out_dir/bench.json" <<'PY'
import glob, gzip, json, os, platform, sys

figures_path, pkg, json_path = sys.argv[1:4]
rows = [json.loads(line) for line in open(figures_path) if line.strip()]
bundle = {}
# The release build's bundle has a content-hashed name: the newest one is this build's.
built = sorted(glob.glob(os.path.join(pkg, "app*.wasm")), key=os.path.getmtime)
wasm_path = built[-1] if built else os.path.join(pkg, "app.wasm")
if os.path.exists(wasm_path):
    raw = open(wasm_path, "rb").read()
    bundle = {"file": os.path.basename(wasm_path), "raw_bytes": len(raw),
              "gzip_bytes": len(gzip.compress(raw, compresslevel=9))}
machine = {"cpus": os.cpu_count(), "system": platform.platform(),
           "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)}
json.dump({"machine": machine, "figures": rows, "bundle": bundle}, open(json_path, "w"), indent=2)

head = ("operation", "backend", "clients", "ops/s", "p50 ms", "p99 ms", "CPU ms/op", "peak RSS MiB")
cells = [head] + [(r["operation"], r["backend"], str(r["clients"]), f'{r["per_second"]:,.0f}',
                   f'{r["p50_ms"]:.2f}', f'{r["p99_ms"]:.2f}', f'{r["cpu_ms_per_op"]:.2f}',
                   f'{r["peak_rss_mib"]:.0f}') for r in rows]
widths = [max(len(c[i]) for c in cells) for i in range(len(head))]
print()
print(f'Machine: {machine["cpus"]} cores, {machine["memory_gib"]} GiB, {machine["system"]}')
for n, c in enumerate(cells):
    print("| " + " | ".join(v.ljust(w) if i < 2 else v.rjust(w) for i, (v, w) in enumerate(zip(c, widths))) + " |")
    if n == 0:
        print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
if bundle:
    print(f'\nBrowser bundle {bundle["file"]}: {bundle["raw_bytes"] / 1024:,.0f} KiB raw, '
          f'{bundle["gzip_bytes"] / 1024:,.0f} KiB gzipped (-9)')
else:
    print(f"\nBrowser bundle: NOT MEASURED, {wasm_path} is missing")
if not any(r["backend"] == "postgres" for r in rows):
    print("PostgreSQL: SKIPPED, no server answered (see the benchmarks' output above)")
print(f"\nJSON: {json_path}")
PY
