#!/usr/bin/env bash
# Makes www/traces/cloudphysics.oracleGeneral.zst from the bundled CSV: `cachelab convert` writes
# libCacheSim's oracleGeneral records (byte for byte the `data/cloudPhysicsIO.oracleGeneral.bin`
# that libCacheSim ships, next-access fields included), and Debian's `zstd` compresses them, as
# the public trace collections are compressed. Needs `zstd` (apt-get install zstd).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v zstd >/dev/null || { echo "make-zst-sample: needs zstd (apt-get install zstd)" >&2; exit 2; }
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
cargo run --quiet --release -- convert www/traces/cloudphysics.csv --output "$tmp"
echo "oracleGeneral: $(sha256sum < "$tmp" | cut -d' ' -f1)"
zstd -q -19 --no-progress -f "$tmp" -o www/traces/cloudphysics.oracleGeneral.zst
chmod 644 www/traces/cloudphysics.oracleGeneral.zst
echo "zst: $(sha256sum < www/traces/cloudphysics.oracleGeneral.zst | cut -d' ' -f1)"
