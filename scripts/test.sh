#!/usr/bin/env bash
# Runs every suite in order and ends with one line `N passed, N failed` counting the tests of all
# suites (a check without test counts, such as fmt or clippy, counts as one). A suite that fails
# does not stop the others, so one run shows everything that is wrong; the exit code is non-zero
# if anything failed.
set -uo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh test || { echo "0 passed, 1 failed"; exit 1; }

logs=$(mktemp -d)
passed=0 failed=0
redis_pid="" cluster_dir=""
cleanup() {
  [ -n "$redis_pid" ] && kill "$redis_pid" 2>/dev/null && wait "$redis_pid" 2>/dev/null
  [ -n "$cluster_dir" ] && scripts/redis-cluster.sh stop "$cluster_dir"
  rm -rf "$logs"
}
trap cleanup EXIT

# suite NAME COMMAND...: runs COMMAND, shows its output, and adds its test counts to the totals.
suite() {
  local name=$1; shift
  local log="$logs/$(echo "$name" | tr -c 'a-zA-Z0-9' _).log"
  printf '\n\033[1m=== %s\033[0m\n' "$name"
  "$@" 2>&1 | tee "$log"
  local rc=${PIPESTATUS[0]}
  # cargo test and wasm-bindgen-test-runner: "test result: ok. 3 passed; 0 failed; ..."
  # node --test: "ℹ pass 3" / "ℹ fail 0"
  local p f
  p=$(grep -hoE '(test result: [a-zA-Z]+\. [0-9]+ passed|^[^ ]+ pass [0-9]+)' "$log" | grep -oE '[0-9]+' | awk '{s+=$1} END {print s+0}')
  f=$(grep -hoE '([0-9]+ failed;|^[^ ]+ fail [0-9]+)' "$log" | grep -oE '[0-9]+' | awk '{s+=$1} END {print s+0}')
  p=${p:-0} f=${f:-0}
  if [ "$p" = 0 ] && [ "$f" = 0 ]; then
    if [ "$rc" = 0 ]; then p=1; else f=1; fi
  elif [ "$rc" != 0 ] && [ "$f" = 0 ]; then
    f=1 # it ran tests but still failed (a build error, a crash): count that
  fi
  passed=$((passed + p)) failed=$((failed + f))
  printf '\033[1m--- %s: %s passed, %s failed\033[0m\n' "$name" "$p" "$f"
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

suite "cargo fmt --check" cargo fmt --all --check
suite "clippy (native, with redis)" cargo clippy --all-targets --features redis -- -D warnings
suite "clippy (wasm32 library and tests)" cargo clippy --lib --tests --target wasm32-unknown-unknown -- -D warnings
suite "wasm dependency tree has no tokio, mio, redis or clap" bash -c \
  '! cargo tree --target wasm32-unknown-unknown -e normal --features redis | grep -E "\b(tokio|mio|redis|clap) v"'
suite "native cargo test" cargo test
suite "wasm tests: Node and Chromium" \
  env -u GECKODRIVER CHROMEDRIVER=/usr/bin/chromedriver WASM_BINDGEN_TEST_TIMEOUT=120 \
  cargo test --target wasm32-unknown-unknown
suite "wasm tests: Firefox" \
  env -u CHROMEDRIVER GECKODRIVER="$(command -v geckodriver)" WASM_BINDGEN_TEST_TIMEOUT=120 \
  cargo test --target wasm32-unknown-unknown --test web
# One set of release builds serves the page tests and the published site: `make site` runs `make
# wasm` (cargo once per page module, wasm-bindgen, wasm-opt) and packs dist/ from those modules.
suite "page build (release wasm, wasm-opt) and the site in dist/" make --no-print-directory site
suite "page and site in Chromium (Playwright)" node --test tests/e2e/
suite "site smoke set in Firefox (WebDriver)" \
  env GECKODRIVER="$(command -v geckodriver)" node --experimental-websocket --test tests/e2e/firefox.mjs

# The redis feature's suites (tests/redis_*.rs) run against a redis-server of our own on a free
# loopback port, started with DEBUG enabled for the differential test, and a three-master (one replica each) Redis
# Cluster (scripts/redis-cluster.sh), also on free loopback ports. Both are stopped on exit.
redis_dir="$logs/redis"
mkdir -p "$redis_dir"
redis_port=$(free_port)
redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no --dir "$redis_dir" \
  --enable-debug-command local --logfile "$redis_dir/redis.log" &
redis_pid=$!
for _ in $(seq 50); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.1; done
cluster_dir="$logs/cluster"
if ! cluster_urls=$(scripts/redis-cluster.sh start "$cluster_dir"); then
  echo "the Redis Cluster did not start: its suite fails"
  cluster_urls="redis://127.0.0.1:1,redis://127.0.0.1:2"
fi
suite "redis feature (redis-server on port $redis_port, cluster $cluster_urls)" \
  env CACHELAB_REDIS_URL="redis://127.0.0.1:$redis_port/" CACHELAB_REDIS_CLUSTER_URLS="$cluster_urls" \
  cargo test --features redis --test 'redis_*'

echo
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
