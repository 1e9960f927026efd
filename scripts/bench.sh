#!/usr/bin/env bash
# `make bench`: builds release, runs every benchmark of the project on SQLite and (when one
# answers) PostgreSQL, and prints one table — operation, backend, clients, operations/s, p50,
# p99, CPU ms per operation and peak memory — with the browser bundle's size, raw and gzipped.
# The table is also written as JSON. Benchmarks print figures; they never fail on timing.
#
# The benchmarks over HTTP prepare a database, then run the release server binary on it as its
# own process and load it from theirs over loopback, so the CPU and memory columns are the
# server's alone; the load comes from one thread of keep-alive connections. (The grants benchmark calls the application directly: its columns are of its
# one process. BENCH_INLINE=1 serves from each benchmark's own process.) Sizes come from the
# environment as in each benchmark (CLIENTS, TICKETS, …); the timed runs last BENCH_SECONDS
# (default 5), which keeps the whole under 10 minutes. (Not SECONDS: bash keeps its own clock in
# that name.) BENCH_REUSE_BUILD=1 runs the benchmarks again on the last build, without building.
set -euo pipefail
cd "$(dirname "$0")/.."

target_dir=${CARGO_TARGET_DIR:-target}
out_dir=$target_dir/bench
mkdir -p "$out_dir"
figures=$out_dir/figures.jsonl
: > "$figures"

say() { printf '[bench] %s\n' "$*"; }

if [ "${BENCH_REUSE_BUILD:-0}" = 1 ]; then
  # A second run of the same build, for the run-to-run spread: the site's build alone spends
  # minutes in wasm-opt.
  say "BENCH_REUSE_BUILD=1: the release build of the last run, as it is"
else
  say "release build: the site (browser bundle, size-optimised) and the server"
  ./scripts/build-site.sh --release --no-server
  # The server and the benchmarks in one cargo run: built apart, the examples' dev-dependencies
  # unify other features of shared crates, and the application crate was compiled twice.
  cargo build --release -p server --bins --examples
fi

export BENCH_JSON=$figures
started=$(date +%s)
for bench in checkin registration agenda meetings feed grants; do
  say "bench_$bench"
  env SECONDS="${BENCH_SECONDS:-5}" "$target_dir/release/examples/bench_$bench" 2>&1 | tee "$out_dir/bench_$bench.log"
done
say "benchmarks took $(( $(date +%s) - started )) s"

pkg=${LEPTOS_SITE_ROOT:-$target_dir/site}/pkg
python3 - "$figures" "$pkg" "$out_dir/bench.json" "$target_dir/wasm-split/wasm-release/__wasm_split.js" <<'PY'
import glob, gzip, json, os, platform, sys

figures_path, pkg, json_path, loader_source = sys.argv[1:5]
rows = [json.loads(line) for line in open(figures_path) if line.strip()]
bundle = {}
gz = lambda path: len(gzip.compress(open(path, "rb").read(), compresslevel=9))
size = lambda path: os.path.getsize(path)
# The release build's files have content-hashed names: the newest main file is this build's,
# and its hash names the rest (the JS glue, the chunk loader, the lazily loaded pages' parts).
built = sorted(glob.glob(os.path.join(pkg, "app.*.wasm")) or glob.glob(os.path.join(pkg, "app.wasm")),
               key=os.path.getmtime)
wasm_path = built[-1] if built else os.path.join(pkg, "app.wasm")
if os.path.exists(wasm_path):
    tag = os.path.basename(wasm_path)[len("app"):-len(".wasm")]  # ".<hash>" or ""
    first = [wasm_path] + [p for p in (os.path.join(pkg, f"app{tag}.js"), os.path.join(pkg, f"__wasm_split{tag}.js"))
                           if os.path.exists(p)]
    bundle = {"file": os.path.basename(wasm_path), "raw_bytes": size(wasm_path), "gzip_bytes": gz(wasm_path),
              "first_page_files": [os.path.basename(p) for p in first],
              "first_page_raw_bytes": sum(map(size, first)), "first_page_gzip_bytes": sum(map(gz, first))}
    # What the server actually sends to a browser that accepts brotli: the build's .br copies.
    if all(os.path.exists(p + ".br") for p in first):
        bundle["first_page_brotli_bytes"] = sum(size(p + ".br") for p in first)
    # Each lazily loaded page: its own part and the shared chunks the loader fetches with it, as
    # the splitter wrote the loader (the one served is minified, its file names hashed).
    hashed = lambda name: os.path.join(pkg, "{0}{2}{1}".format(*os.path.splitext(name), tag))
    if os.path.exists(loader_source):
        import re
        text = open(loader_source).read()
        chunk_file = dict(re.findall(r'const (__chunk_\d+) = makeLoad\(\(\) => \{\s*const src = fetch\(new URL\("\./([^"]+)"', text))
        pages = {}
        for name, part, deps in re.findall(
                r'export const __wasm_split_load___(\w+?)_route_view_\d+ = wrapAsyncCb\(makeLoad\(\(\) => \{\s*'
                r'const src = fetch\(new URL\("\./([^"]+)".*?\n, \[([^\]]*)\]', text, re.S):
            files = [hashed(part)] + [hashed(chunk_file[d.strip()]) for d in deps.split(",") if d.strip()]
            pages[name] = {"files": len(files), "raw_bytes": sum(map(size, files)), "gzip_bytes": sum(map(gz, files))}
        parts = glob.glob(os.path.join(pkg, f"split_*{tag}.wasm")) + glob.glob(os.path.join(pkg, f"chunk_*{tag}.wasm"))
        bundle["lazy_pages"] = pages
        bundle["lazy_parts"] = {"files": len(parts), "raw_bytes": sum(map(size, parts)), "gzip_bytes": sum(map(gz, parts))}
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
    kib = lambda b: f"{b / 1024:,.0f} KiB"
    print(f'\nBrowser bundle, main file {bundle["file"]}: {kib(bundle["raw_bytes"])} raw, '
          f'{kib(bundle["gzip_bytes"])} gzipped (-9)')
    print(f'First pages (series, event, agenda) download '
          f'{" + ".join(bundle["first_page_files"])}: {kib(bundle["first_page_raw_bytes"])} raw, '
          f'{kib(bundle["first_page_gzip_bytes"])} gzipped'
          + (f', {kib(bundle["first_page_brotli_bytes"])} as sent with brotli' if "first_page_brotli_bytes" in bundle else ""))
    if bundle.get("lazy_pages"):
        # The next pages a visitor opens, each as a first visit would download it: the files
        # above and the page's own parts.
        nearby = [(label, bundle["lazy_pages"][name]) for label, name in
                  (("a session", "session"), ("a speaker", "speaker"), ("the registration form", "register"),
                   ("the sign-in", "sign_in")) if name in bundle["lazy_pages"]]
        if nearby:
            print("Opened first, the next pages download that plus their own parts: " + "; ".join(
                f'{label} {kib(bundle["first_page_gzip_bytes"] + p["gzip_bytes"])} gzipped (+{kib(p["gzip_bytes"])})'
                for label, p in nearby))
        pages = sorted(bundle["lazy_pages"].items(), key=lambda kv: -kv[1]["gzip_bytes"])
        print(f'Lazily loaded pages ({len(pages)}), fetched on top when first shown; the largest: ' + "; ".join(
            f'{name} {kib(p["gzip_bytes"])} gz in {p["files"]} files' for name, p in pages[:4]))
        lazy = bundle["lazy_parts"]
        print(f'All lazy parts together: {lazy["files"]} files, {kib(lazy["raw_bytes"])} raw, {kib(lazy["gzip_bytes"])} gzipped')
else:
    print(f"\nBrowser bundle: NOT MEASURED, {wasm_path} is missing")
if not any(r["backend"] == "postgres" for r in rows):
    print("PostgreSQL: SKIPPED, no server answered (see the benchmarks' output above)")
print(f"\nJSON: {json_path}")
PY
