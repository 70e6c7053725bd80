// Large oracleGeneral trace files for the streamed replay's page test and benchmark, written once
// under target/ and reused: libCacheSim's 24-byte records (u32 time, u64 key, u32 size, i64
// next access: the 1-based position of the key's next request, -1 if none), so that Belady runs
// on them too. The file is one block of BLOCK_REQUESTS requests (skewed keys from a seeded
// xorshift, so every run writes the same bytes) repeated, with times and next accesses running
// on across the blocks; written to a temporary name and renamed, so a cut write is never reused.
import { existsSync, statSync, openSync, writeSync, closeSync, renameSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './harness.mjs';

const RECORD = 24;
export const BLOCK_REQUESTS = 1 << 20;
export const KEYS = 200_000;

/** The block's keys: a product of two uniforms squared skews them towards small ids. */
function blockKeys() {
  let x = 0x9e3779b9;
  const next = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
  const keys = new Uint32Array(BLOCK_REQUESTS);
  for (let i = 0; i < keys.length; i++) keys[i] = Math.floor(KEYS * next() * next());
  return keys;
}

/**
 * The path of a trace of `blocks` blocks (24 MiB each) under target/, written if it is not there
 * yet; resolves to {path, bytes, requests}.
 */
export function bigTrace(blocks) {
  const dir = join(ROOT, 'target', 'e2e-traces');
  const path = join(dir, `streamed-${blocks}x${BLOCK_REQUESTS}.oracleGeneral`);
  const bytes = blocks * BLOCK_REQUESTS * RECORD;
  const requests = blocks * BLOCK_REQUESTS;
  if (existsSync(path) && statSync(path).size === bytes) return { path, bytes, requests };
  mkdirSync(dir, { recursive: true });
  const keys = blockKeys();
  // Within the block: the next index of the same key, or -1; and each key's first index.
  const nextIn = new Int32Array(BLOCK_REQUESTS).fill(-1);
  const first = new Int32Array(KEYS).fill(-1);
  const last = new Int32Array(KEYS).fill(-1);
  for (let i = 0; i < BLOCK_REQUESTS; i++) {
    const k = keys[i];
    if (last[k] >= 0) nextIn[last[k]] = i;
    else first[k] = i;
    last[k] = i;
  }
  const buf = Buffer.alloc(BLOCK_REQUESTS * RECORD);
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    for (let b = 0; b < blocks; b++) {
      const base = b * BLOCK_REQUESTS;
      for (let i = 0; i < BLOCK_REQUESTS; i++) {
        const k = keys[i];
        const at = i * RECORD;
        const nextIndex = nextIn[i] >= 0 ? base + nextIn[i] : b + 1 < blocks ? base + BLOCK_REQUESTS + first[k] : -1;
        buf.writeUInt32LE(base + i + 1, at); // time: one request a tick
        buf.writeUInt32LE(k + 1, at + 4); // key, low then high half (0: keys 1..KEYS)
        buf.writeUInt32LE(0, at + 8);
        buf.writeUInt32LE(512 + (k % 64) * 64, at + 12); // size, fixed per key
        // next access, 1-based; -1 (all ones) if none
        buf.writeUInt32LE(nextIndex < 0 ? 0xffffffff : nextIndex + 1, at + 16);
        buf.writeUInt32LE(nextIndex < 0 ? 0xffffffff : 0, at + 20);
      }
      writeSync(fd, buf);
    }
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  return { path, bytes, requests };
}
