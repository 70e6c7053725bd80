#!/usr/bin/env bash
# Builds the page's wasm modules under www/pkg. One crate, built once per module with the cargo
# feature that selects its exports in src/wasm.rs (`wasm-basics` → www/pkg/basics.js and
# basics_bg.wasm, …), so that the page loads only what a lesson needs: a learner's first lesson
# loads `basics`, and the scenarios, the console and the trace tools come when their lessons open.
# Each module is a cargo build (`profile_of` below says with which profile), wasm-bindgen's
# ES-module glue, then wasm-opt (binaryen from npm, the version package-lock.json pins) for a
# smaller module. The tests, `make play` and `make site` all use these optimised modules, so an
# optimiser bug shows up in the goldens
# (tests/e2e/site.test.mjs) instead of in a learner's tab.
# Last it writes www/pkg/modules.js, the list the worker (www/worker.js) loads them from: each
# module's name, the names it exports, and how to import it.
# A module already built from the same input, tools and flags is left alone (seconds saved on
# every `make play`); cargo says where it wrote each build (CARGO_TARGET_DIR or not).
#   scripts/wasm.sh            the page's modules
#   scripts/wasm.sh bench      the benchmark page's module (www/bench.html, `make bench`)
#   WASM_PROFILE=release scripts/wasm.sh …   every module with that cargo profile instead (to
#                              measure what a profile costs in speed or saves in bytes)
set -euo pipefail
cd "$(dirname "$0")/.."

# The scenario modules: each runs the scenarios of a run of lessons, those whose line in the
# registry (`catalogue!` in src/scenario/catalog.rs) names its feature. Cargo.toml declares one
# feature per module, `wasm-NAME = ["wasm-scenarios"]` (the scenario exports of src/wasm.rs):
# the list is read from there, so a new module is one line in Cargo.toml.
mapfile -t SCENARIO_MODULES < <(grep -oP '^wasm-\K\w+(?= = \["wasm-scenarios"\])' Cargo.toml)
[ ${#SCENARIO_MODULES[@]} -gt 0 ] || { echo "scripts/wasm.sh: Cargo.toml declares no scenario module" >&2; exit 1; }
# In the order the worker prefers them when two export the same name: a name without a cfg
# feature in src/wasm.rs is in every module.
PAGE_MODULES=(basics "${SCENARIO_MODULES[@]}" console traces)
if [ $# -gt 0 ]; then modules=("$@"); else modules=("${PAGE_MODULES[@]}"); fi
is_scenario_module() { [[ " ${SCENARIO_MODULES[*]} " == *" $1 "* ]]; }
# The cargo profile a module is built with. `wasm` (Cargo.toml: opt-level "z", fat LTO, one
# codegen unit) takes a quarter off a module's gzipped size, at a cost in speed that only the
# trace replays feel: the eviction lesson replays a trace through six policies before it draws, so
# `traces` keeps `release`, and the benchmark page measures the core at `release` as natively (see
# README, "Publishing the playground", for the numbers).
profile_of() {
  if [ -n "${WASM_PROFILE:-}" ]; then echo "$WASM_PROFILE"; return; fi
  if is_scenario_module "$1"; then echo wasm-s; return; fi
  case $1 in
    basics|console) echo wasm ;;
    traces|bench) echo release ;;
    *) echo "scripts/wasm.sh: unknown module $1 (${PAGE_MODULES[*]} bench)" >&2; exit 1 ;;
  esac
}

out=www/pkg
mkdir -p "$out"
# The features Rust's wasm32 target enables by default; wasm-opt must accept them all.
opt_flags=(-Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext
           --enable-mutable-globals --enable-reference-types --enable-multivalue)
wasm_opt=node_modules/.bin/wasm-opt
tools="$(wasm-bindgen --version) $("$wasm_opt" --version) ${opt_flags[*]}"

# wasm-bindgen's glue and wasm-opt for module $1, built by cargo into $2 (stamped $3).
finish() {
  local m=$1 src=$2 stamp=$3
  rm -f "$out/.$m.built-from"
  wasm-bindgen --target web --no-typescript --out-dir "$out" --out-name "$m" "$src"
  local before
  before=$(stat -c %s "$out/${m}_bg.wasm")
  "$wasm_opt" "${opt_flags[@]}" "$out/${m}_bg.wasm" -o "$out/${m}_bg.wasm"
  echo "www/pkg/$m: wasm-opt $before -> $(stat -c %s "$out/${m}_bg.wasm") bytes"
  echo "$stamp" > "$out/.$m.built-from"
}

# Builds module $1 with cargo profile $2 (`$base-$m`, inheriting `$base`: see below), then
# finishes it unless it is up to date.
build() {
  local m=$1 base=$2
  # Each module is built under a profile of its own, so in a directory of its own: cargo keeps one
  # build of the crate per profile and target whatever the features, so modules sharing a profile
  # would rebuild each other on every run. Each such directory builds the dependencies once, and
  # holds its own lock, so that modules build side by side.
  local profile="$base-$m" src stamp
  src=$(cargo build --lib --config "profile.$profile.inherits=\"$base\"" --profile "$profile" \
          --target wasm32-unknown-unknown --no-default-features --features "wasm-$m" \
          --message-format=json-render-diagnostics |
        node -e '
          let wasm = "";
          for (const line of require("fs").readFileSync(0, "utf8").split("\n")) {
            if (!line) continue;
            const m = JSON.parse(line);
            if (m.reason === "compiler-artifact" && m.target.name === "cachelab") wasm = m.filenames.find((f) => f.endsWith(".wasm")) ?? "";
          }
          if (!wasm) process.exit(1);
          console.log(wasm);')
  stamp="$(sha256sum "$src" | cut -d' ' -f1) $tools"
  if [ -f "$out/${m}_bg.wasm" ] && [ "$(cat "$out/.$m.built-from" 2>/dev/null)" = "$stamp" ]; then
    echo "www/pkg/$m is up to date"
    return
  fi
  finish "$m" "$src" "$stamp"
}

# Modules build side by side, as many at a time as there are cores (WASM_JOBS to choose): a fat-LTO
# build is mostly one thread, and there are eight modules.
jobs_max=${WASM_JOBS:-$(nproc)}
building=()
for m in "${modules[@]}"; do
  base=$(profile_of "$m")
  while [ "$(jobs -rp | wc -l)" -ge "$jobs_max" ]; do wait -n; done
  build "$m" "$base" &
  building+=($!)
done
for job in "${building[@]}"; do wait "$job"; done

[ $# -gt 0 ] && exit 0
{
  echo "// Written by scripts/wasm.sh: the page's wasm modules in the order the worker prefers them,"
  echo "// each with the names it exports (see src/wasm.rs), the scenarios a scenario module runs, and a"
  echo "// literal import, which scripts/site.mjs follows to hash and ship the module."
  echo "export const MODULES = ["
  for m in "${PAGE_MODULES[@]}"; do
    names=$(grep -oP '^export (function|class) \K\w+' "$out/$m.js" | sed "s/.*/'&'/" | paste -sd, | sed 's/,/, /g')
    runs=""
    if is_scenario_module "$m"; then
      # The module itself says which scenarios it runs (its registry, as built).
      runs=" scenarios: [$(node --input-type=module -e "
        import { readFileSync } from 'node:fs';
        import { pathToFileURL } from 'node:url';
        const core = await import(pathToFileURL('$out/$m.js'));
        core.initSync({ module: readFileSync('$out/${m}_bg.wasm') });
        console.log(core.scenarioNames().map((n) => \`'\${n}'\`).join(', '));")],"
    fi
    echo "  { name: '$m', exports: [$names],$runs load: () => import('./$m.js') },"
  done
  echo "];"
} > "$out/modules.js"
