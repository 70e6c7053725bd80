#!/usr/bin/env bash
# Installs what cachelab's commands need and is not there yet. Every step checks first, so a
# second run on a ready machine takes about a second.
#
#   scripts/setup.sh play   the wasm toolchain and the page's npm packages
#   scripts/setup.sh test   all of that, plus browsers, drivers and redis-server for the test suites
set -euo pipefail
cd "$(dirname "$0")/.."

want=${1:-play}
say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

# The wasm-bindgen CLI must be exactly the version the library is locked to.
wb_version=$(sed -n '/^name = "wasm-bindgen"$/{n;s/^version = "\(.*\)"/\1/p;q}' Cargo.lock)

if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$wb_version" ]; then
  say "installing wasm-bindgen-cli $wb_version (about 4 minutes, once)"
  cargo install wasm-bindgen-cli --version "$wb_version" --locked
fi
if [ ! -d node_modules/uplot ] || [ ! -d node_modules/playwright-core ] || [ ! -d node_modules/binaryen ] \
   || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm packages"
  npm ci --no-audit --no-fund
fi

[ "$want" = test ] || exit 0

for tool in rustfmt clippy; do
  if ! rustup component list --installed 2>/dev/null | grep -q "^$tool"; then
    say "adding rustup component $tool"
    rustup component add "$tool"
  fi
done

# Debian packages: browsers and drivers for the browser suites, redis-server for the redis suites
# (and openssl, which makes the TLS suite's self-signed certificate).
missing=()
for pair in chromium:/usr/bin/chromium chromium-driver:/usr/bin/chromedriver \
            firefox-esr:/usr/bin/firefox-esr redis-server:/usr/bin/redis-server \
            redis-tools:/usr/bin/redis-cli openssl:/usr/bin/openssl; do
  [ -x "${pair#*:}" ] || missing+=("${pair%%:*}")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    say "installing Debian packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    say "missing Debian packages: ${missing[*]}"
    say "install them with: sudo apt-get install -y ${missing[*]}"
    exit 1
  fi
fi
if ! command -v geckodriver >/dev/null; then
  say "installing geckodriver for the Firefox suite (about 2 minutes, once)"
  cargo install geckodriver --locked
fi
