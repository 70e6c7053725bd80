# cachelab's two commands. Each installs what it needs first, so a fresh machine needs nothing else.
#   make play   build the wasm module and serve the playground on http://127.0.0.1:$(PORT)/
#   make test   every suite: fmt, clippy, native, wasm (Node, Chromium, Firefox), the page, Redis
#   make site   the playground as a static site in dist/, ready to publish (see the README)

PORT ?= 8000
# Where cargo builds: $CARGO_TARGET_DIR, a config's build.target-dir or ./target. Cargo knows;
# asked only by the recipes that need it.
TARGET_DIR = $(shell cargo metadata --format-version 1 --no-deps | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')

.PHONY: play test wasm site setup bench clean

play: wasm
	PORT=$(PORT) python3 scripts/serve.py

test:
	scripts/test.sh

setup:
	scripts/setup.sh play

# The page's module: a release build of the library, bound for ES-module use under www/pkg and
# shrunk by wasm-opt (scripts/wasm.sh). The tests and the site use this same optimised module.
wasm: setup
	cargo build --lib --release --target wasm32-unknown-unknown
	scripts/wasm.sh "$(TARGET_DIR)/wasm32-unknown-unknown/release/cachelab.wasm"

# The published site: dist/, self-contained, content-hashed, precompressed, offline-capable.
site: wasm
	node scripts/site.mjs dist

# Benchmarks: natively and in headless Chromium, side by side, with the wasm/native ratio; then
# the built site's load times.
bench: site
	node tests/e2e/bench.mjs

clean:
	cargo clean
	rm -rf www/pkg node_modules dist
