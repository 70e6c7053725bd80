# cachelab's two commands. Each installs what it needs first, so a fresh machine needs nothing else.
#   make play   build the wasm modules and serve the playground on http://127.0.0.1:$(PORT)/
#   make test   every suite: fmt, clippy, native, wasm (Node, Chromium, Firefox), the page, Redis
#   make site   the playground as a static site in dist/, ready to publish (see the README)

PORT ?= 8000

.PHONY: play test wasm site setup bench clean

play: wasm
	PORT=$(PORT) python3 scripts/serve.py

test:
	scripts/test.sh

setup:
	scripts/setup.sh play

# The page's modules: release builds of the library, one per group of exports (a cargo feature),
# bound for ES-module use under www/pkg and shrunk by wasm-opt (scripts/wasm.sh, which asks cargo
# where it built, so CARGO_TARGET_DIR is honoured). The tests and the site use these same modules.
wasm: setup
	scripts/wasm.sh

# The published site: dist/, self-contained, content-hashed, precompressed, offline-capable.
site: wasm
	node scripts/site.mjs dist

# Benchmarks: natively and in headless Chromium, side by side, with the wasm/native ratio; then
# the built site's load times.
bench: site
	scripts/wasm.sh bench
	node tests/e2e/bench.mjs

clean:
	cargo clean
	rm -rf www/pkg node_modules dist
