#!/usr/bin/env bash
# Builds the site the way cargo-leptos does, with plain tools: the hydrate library for wasm32,
# wasm-bindgen, sass, the public assets, and the server binary.
#   scripts/build-site.sh            development build (target/debug/server, target/site)
#   scripts/build-site.sh --release  release build (target/release/server, size-optimised WASM)
set -euo pipefail
cd "$(dirname "$0")/.."

release=false
[ "${1:-}" = "--release" ] && release=true

target_dir=${CARGO_TARGET_DIR:-target}
site_root=${LEPTOS_SITE_ROOT:-$target_dir/site}
pkg_dir=$site_root/${LEPTOS_SITE_PKG_DIR:-pkg}
export PATH="$PWD/node_modules/.bin:$PATH"

say() { printf '[build] %s\n' "$*"; }

if $release; then
  wasm_profile=wasm-release wasm_out=wasm-release server_flags=(--release)
else
  wasm_profile=dev wasm_out=debug server_flags=()
fi

say "browser bundle (hydrate, $wasm_profile)"
cargo build -p app --lib --target wasm32-unknown-unknown --no-default-features --features hydrate --profile "$wasm_profile"

mkdir -p "$pkg_dir"
wasm-bindgen --target web --no-typescript --out-dir "$pkg_dir" --out-name app \
  "$target_dir/wasm32-unknown-unknown/$wasm_out/app.wasm"
# The server's hydration script asks for app.wasm (the name cargo-leptos gives it).
mv -f "$pkg_dir/app_bg.wasm" "$pkg_dir/app.wasm"
if $release; then
  say "wasm-opt -Oz"
  wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
    --enable-reference-types --enable-multivalue --enable-mutable-globals \
    -o "$pkg_dir/app.opt.wasm" "$pkg_dir/app.wasm"
  mv -f "$pkg_dir/app.opt.wasm" "$pkg_dir/app.wasm"
fi

say "stylesheet"
sass --no-source-map $($release && echo --style=compressed) style/main.scss "$pkg_dir/app.css"

if $release; then
  # Content-hashed names, so browsers may keep each file for a year (the server says so for
  # such names) and a new build is fetched at once. leptos reads the js and wasm hashes from
  # hash.txt beside the server binary; the shell reads the css one.
  say "content-hashed bundle names"
  rm -f "$pkg_dir"/app.*.js "$pkg_dir"/app.*.wasm "$pkg_dir"/app.*.css
  hashes=""
  for ext in js wasm css; do
    hash=$(sha256sum "$pkg_dir/app.$ext" | cut -c1-16)
    mv -f "$pkg_dir/app.$ext" "$pkg_dir/app.$hash.$ext"
    hashes+="$ext: $hash"$'\n'
  done
  mkdir -p "$target_dir/release"
  printf '%s' "$hashes" > "$target_dir/release/hash.txt"
else
  # A development server must not pick up the hashes of an earlier release build.
  rm -f "$target_dir/debug/hash.txt"
fi

say "public assets"
cp -R public/. "$site_root/"

say "server ($($release && echo release || echo dev))"
cargo build -p server "${server_flags[@]}"
say "site in $site_root, WASM $(du -h "$pkg_dir"/app*.wasm | cut -f1 | head -1)"
