#!/usr/bin/env bash
# Turns cargo's release wasm into the page's module under www/pkg: wasm-bindgen's ES-module glue,
# then wasm-opt (binaryen from npm, the version package-lock.json pins) for a smaller and faster
# module. The tests, `make play` and `make site` all use this one optimised module, so an
# optimiser bug shows up in the goldens (tests/e2e/site.test.mjs) instead of in a learner's tab.
# A module already built from the same input, tools and flags is left alone (seconds saved on
# every `make play`).
#   scripts/wasm.sh PATH/TO/cachelab.wasm
set -euo pipefail
cd "$(dirname "$0")/.."

src=${1:?usage: scripts/wasm.sh PATH/TO/cachelab.wasm}
[ -f "$src" ] || { echo "scripts/wasm.sh: $src does not exist (did cargo build to another target dir?)" >&2; exit 1; }
out=www/pkg
# The features Rust's wasm32 target enables by default; wasm-opt must accept them all.
opt_flags=(-Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext
           --enable-mutable-globals --enable-reference-types --enable-multivalue)
wasm_opt=node_modules/.bin/wasm-opt

stamp="$(sha256sum "$src" | cut -d' ' -f1) $(wasm-bindgen --version) $("$wasm_opt" --version) ${opt_flags[*]}"
if [ -f "$out/cachelab_bg.wasm" ] && [ "$(cat "$out/.built-from" 2>/dev/null)" = "$stamp" ]; then
  echo "www/pkg is up to date"
  exit 0
fi
rm -f "$out/.built-from"
wasm-bindgen --target web --no-typescript --out-dir "$out" "$src"
before=$(stat -c %s "$out/cachelab_bg.wasm")
"$wasm_opt" "${opt_flags[@]}" "$out/cachelab_bg.wasm" -o "$out/cachelab_bg.wasm"
echo "wasm-opt: $before -> $(stat -c %s "$out/cachelab_bg.wasm") bytes"
echo "$stamp" > "$out/.built-from"
