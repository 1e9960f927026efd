#!/usr/bin/env bash
# Builds the site the way cargo-leptos does, with plain tools: the hydrate library for wasm32,
# wasm-bindgen, sass, the public assets, and the server binary.
#   scripts/build-site.sh            development build (target/debug/server, target/site)
#   scripts/build-site.sh --release  release build (target/release/server, size-optimised WASM)
#   … --no-server                     everything but the server binary (for a caller that builds
#                                     it with other targets in one cargo run)
set -euo pipefail
cd "$(dirname "$0")/.."

release=false server=true
for arg in "$@"; do
  case $arg in
    --release) release=true ;;
    --no-server) server=false ;;
    *) echo "build-site.sh: unknown option $arg (expected --release, --no-server)" >&2; exit 2 ;;
  esac
done

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

# Lazily loaded pages (lazy_pages! in app/src/lib.rs) are cut out of the main file into chunks
# the page fetches when it needs them; the splitter also writes the loader, __wasm_split.js,
# which imports the main module (./app.js) and is imported by it.
# The bundle is made in a stage of its own and only then copied into the site, so that a
# development build and a release build sharing one site leave each other's files alone (a dev
# build used to delete the release build's chunks and precompressed files, which its server
# still names).
split_dir="$target_dir/wasm-split/$wasm_out"
stage="$split_dir/pkg"
rm -rf "$split_dir"
mkdir -p "$stage" "$pkg_dir"
say "splitting the lazily loaded pages into chunks"
wasm-split-cli --target web --out-name app "$target_dir/wasm32-unknown-unknown/$wasm_out/app.wasm" "$split_dir"
cp "$split_dir"/__wasm_split.js "$stage/"
for chunk in "$split_dir"/split_*.wasm "$split_dir"/chunk_*.wasm; do
  [ -e "$chunk" ] && cp "$chunk" "$stage/"
done
# --keep-lld-exports: the chunks call into the main module through the exports the linker made.
wasm-bindgen --target web --no-typescript --keep-lld-exports --out-dir "$stage" --out-name app "$split_dir/app.wasm"
# The server's hydration script asks for app.wasm (the name cargo-leptos gives it).
mv -f "$stage/app_bg.wasm" "$stage/app.wasm"
if $release; then
  say "wasm-opt -Oz, the main file and each chunk"
  for wasm in "$stage"/app.wasm "$stage"/split_*.wasm "$stage"/chunk_*.wasm; do
    [ -e "$wasm" ] || continue
    wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
      --enable-reference-types --enable-multivalue --enable-mutable-globals \
      -o "$wasm.opt" "$wasm"
    mv -f "$wasm.opt" "$wasm"
  done
fi

say "stylesheet"
sass --no-source-map $($release && echo --style=compressed) style/main.scss "$stage/app.css"

if $release; then
  # Content-hashed names, so browsers may keep each file for a year (the server says so for
  # such names) and a new build is fetched at once. leptos reads the js and wasm hashes from
  # hash.txt beside the server binary; the shell reads the css one.
  say "content-hashed bundle names"
  # The main module, the loader and the chunks name each other, so they share one hash, taken
  # over all of them before the names inside are rewritten; the stylesheet has its own.
  (cd "$stage" && ls app.js app.wasm __wasm_split.js split_*.wasm chunk_*.wasm 2>/dev/null) > "$split_dir/files"
  bundle=$(cd "$stage" && cat $(cat "$split_dir/files") | sha256sum | cut -c1-16)
  # Only the module imports are renamed: the main WASM file imports the loader under its
  # plain name ("./__wasm_split.js" is also the key of that import in the glue).
  sed -i "s#from \"\./__wasm_split\.js\"#from \"./__wasm_split.$bundle.js\"#" "$stage/app.js"
  sed -i "s#from \"\./app\.js\"#from \"./app.$bundle.js\"#" "$stage/__wasm_split.js"
  for file in $(grep -E '^(split|chunk)_' "$split_dir/files"); do
    stem=${file%.*} ext=${file##*.}
    sed -i "s#\"\./$file\"#\"./$stem.$bundle.$ext\"#" "$stage/__wasm_split.js"
  done
  for file in $(cat "$split_dir/files"); do
    stem=${file%.*} ext=${file##*.}
    mv -f "$stage/$file" "$stage/$stem.$bundle.$ext"
  done
  # The JS glue and the chunk loader are minified (the loader's comments list, per chunk, every
  # page that needs it): about a third of what they weigh gzipped. Module imports and exports
  # keep their names; the hash was taken before, over the unminified files, and still names
  # this build.
  say "minifying the JavaScript (terser)"
  for js in "$stage/app.$bundle.js" "$stage/__wasm_split.$bundle.js"; do
    [ -e "$js" ] || continue
    terser "$js" --module --compress --mangle --comments false -o "$js.min"
    mv -f "$js.min" "$js"
  done
  css=$(sha256sum "$stage/app.css" | cut -c1-16)
  mv -f "$stage/app.css" "$stage/app.$css.css"
  hashes="js: $bundle"$'\n'"wasm: $bundle"$'\n'"css: $css"$'\n'
  # Precompressed beside each file, at the strongest settings (too slow to do per request):
  # the server sends app.<hash>.wasm.br to browsers that accept brotli, .gz to the others.
  say "precompressing the bundle (brotli 11, gzip 9)"
  node -e '
    const fs = require("fs"), zlib = require("zlib"), path = require("path");
    const dir = process.argv[1];
    for (const name of fs.readdirSync(dir)) {
      if (!/\.(wasm|js|css)$/.test(name)) continue;
      const file = path.join(dir, name), data = fs.readFileSync(file);
      fs.writeFileSync(file + ".br", zlib.brotliCompressSync(data, { params: {
        [zlib.constants.BROTLI_PARAM_QUALITY]: 11, [zlib.constants.BROTLI_PARAM_LGWIN]: 24,
        [zlib.constants.BROTLI_PARAM_SIZE_HINT]: data.length } }));
      fs.writeFileSync(file + ".gz", zlib.gzipSync(data, { level: 9 }));
    }' "$stage"
  mkdir -p "$target_dir/release"
  printf '%s' "$hashes" > "$target_dir/release/hash.txt"
else
  # A development server must not pick up the hashes of an earlier release build.
  rm -f "$target_dir/debug/hash.txt"
fi

# Into the site: this build's files replace those of the last build of the same kind (a
# release build's names carry a content hash, stem.hash.ext, also under .br and .gz; a
# development build's do not), and the other kind's stay.
hashed() {
  local name=${1%.br}
  name=${name%.gz}
  case $name in *.*.*) return 0 ;; *) return 1 ;; esac
}
for file in "$pkg_dir"/*; do
  [ -f "$file" ] || continue
  if hashed "${file##*/}"; then kind=true; else kind=false; fi
  if [ "$kind" = "$release" ]; then rm -f "$file"; fi
done
cp "$stage"/* "$pkg_dir/"

say "public assets"
cp -R public/. "$site_root/"

if $server; then
  say "server ($($release && echo release || echo dev))"
  cargo build -p server "${server_flags[@]}"
fi
say "site in $site_root, WASM $(du -h "$stage"/app*.wasm | cut -f1 | head -1)"
