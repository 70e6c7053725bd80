# cachelab's two commands. Each installs what it needs first, so a fresh machine needs nothing else.
#   make play   build the wasm module and serve the playground on http://127.0.0.1:$(PORT)/
#   make test   every suite: fmt, clippy, native, wasm (Node, Chromium, Firefox), the page, Redis

PORT ?= 8000
WASM := target/wasm32-unknown-unknown/release/cachelab.wasm

.PHONY: play test wasm setup bench clean

play: wasm
	PORT=$(PORT) python3 scripts/serve.py

test:
	scripts/test.sh

setup:
	scripts/setup.sh play

# The page's module: a release build of the library, bound for ES-module use under www/pkg.
wasm: setup
	cargo build --lib --release --target wasm32-unknown-unknown
	wasm-bindgen --target web --no-typescript --out-dir www/pkg $(WASM)

# Benchmarks: natively and in headless Chromium, side by side, with the wasm/native ratio.
bench: wasm
	node tests/e2e/bench.mjs

clean:
	cargo clean
	rm -rf www/pkg node_modules
