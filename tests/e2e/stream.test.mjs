// The eviction lesson streams a local trace file of any size: a generated oracleGeneral file
// larger than the old 256 MiB cap is read chunk by chunk in the workers (File.stream()), with a
// progress bar by bytes, rows for every policy (Belady from the records' next accesses), and
// each worker's wasm memory bounded by its caches, not by the file, and LRU's curve sampled on the
// way (fixed-size SHARDS, memory bounded by the sample) drawn as a line. The bundled .zst sample,
// streamed, gives the rows and the sampled LRU line of its whole-file replay.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { servedBrowser, open, settled, ROOT } from './harness.mjs';
import { bigTrace } from './bigtrace.mjs';

const env = servedBrowser();

/** The bound a worker's wasm memory stays under while it streams a file of any size. */
const MEMORY_BOUND = 64 << 20;

/** Runs the lesson and resolves to its report, once the page has settled. */
async function run(page) {
  await page.evaluate(() => (window.cachelabLastReport = null));
  await page.click('#run');
  await page.waitForFunction(() => document.body.dataset.state !== 'running' && window.cachelabLastReport, null, { timeout: 50_000 });
  await settled(page);
  return page.evaluate(() => window.cachelabLastReport);
}

test('eviction: a file larger than 256 MiB streams with progress and bounded memory', { timeout: 60_000 }, async (t) => {
  const trace = bigTrace(11); // 11 × 24 MiB = 264 MiB
  assert.ok(trace.bytes > 256 << 20);
  const { page, errors } = await open(env.browser, `${env.server.url}?lesson=eviction&policies=lru,sieve,belady&sizes=0.01,0.1`);
  await settled(page);
  await page.evaluate(() => (window.cachelabSweepWorkers = 2));
  await page.selectOption('#replay-source', 'local');
  await page.setInputFiles('#replay-file', trace.path);
  const report = run(page);
  // The bar is shown and moves by bytes read, before the run ends.
  await page.waitForFunction(() => !document.getElementById('progress').hidden && document.getElementById('progress').value > 0.1, null, { timeout: 30_000, polling: 50 });
  const r = await report;
  assert.equal(await page.evaluate(() => document.body.dataset.state), 'ready', await page.textContent('#status'));
  assert.equal(r.requests, trace.requests);
  assert.deepEqual([...new Set(r.rows.map((row) => row.policy))], ['lru', 'sieve', 'belady']);
  assert.equal(r.rows.length, 6);
  const at = (policy) => r.rows.find((row) => row.policy === policy && row.capacity === r.rows[1].capacity);
  assert.ok(at('belady').misses < at('lru').misses, 'Belady, from the next-access fields, misses least');
  assert.equal(r.stream.file_bytes, trace.bytes);
  assert.equal(r.stream.workers, 2);
  assert.equal(r.stream.left_out, null);
  assert.ok(r.stream.wasm_memory_bytes < MEMORY_BOUND, `a worker's wasm memory reached ${r.stream.wasm_memory_bytes} bytes`);
  t.diagnostic(`${trace.bytes} bytes, ${trace.requests} requests: largest worker wasm memory ${r.stream.wasm_memory_bytes} bytes`);
  t.diagnostic(await page.textContent('#notice-line'));
  assert.match(await page.textContent('#notice-line'), /was streamed: read 2 times by each of 2 workers/);
  // LRU's sampled line, from a sample of at most 10,000 keys, drawn and said.
  assert.equal(r.lru_sampled.report.sampled_keys, 10000);
  assert.ok(r.lru_sampled.report.curve.length > 150, `${r.lru_sampled.report.curve.length} points`);
  assert.match(await page.locator('#charts').textContent(), /LRU, sampled \(SHARDS, 10000 keys\)/);
  assert.match(await page.textContent('#notice-line'), /LRU's line is sampled: .* at most 10000 of its \d+ keys/);
  assert.deepEqual(errors, []);
  await page.close();
});

test('eviction: the .zst sample streamed gives the rows of its whole-file replay', { timeout: 60_000 }, async () => {
  const { page, errors } = await open(env.browser, `${env.server.url}?lesson=eviction&policies=lru,s3fifo,belady&sizes=0.01,0.1`);
  await settled(page);
  await page.selectOption('#replay-source', 'bundled-zst');
  const whole = await run(page);
  await page.evaluate(() => (window.cachelabStreamAboveBytes = 0));
  await page.selectOption('#replay-source', 'local');
  await page.setInputFiles('#replay-file', join(ROOT, 'www/traces/cloudphysics.oracleGeneral.zst'));
  const streamed = await run(page);
  assert.ok(streamed.stream, 'the file was streamed');
  assert.deepEqual(streamed.rows, whole.rows);
  // The sampled LRU line streamed is the one drawn beside the exact curve of the whole file.
  assert.deepEqual(streamed.lru_sampled.report.curve, whole.lru_sampled.report.curve);
  assert.equal(streamed.lru_exact, undefined);
  assert.match(await page.locator('#charts').textContent(), /LRU, sampled \(SHARDS, 10000 keys\)/);
  // The CSV sample has no next accesses: Belady is left out of a streamed run, and the page says so.
  await page.setInputFiles('#replay-file', join(ROOT, 'www/traces/cloudphysics.csv'));
  const csv = await run(page);
  assert.deepEqual([...new Set(csv.rows.map((row) => row.policy))], ['lru', 's3fifo']);
  assert.match(await page.textContent('#notice-line'), /Belady is left out of this streamed replay: .* a CSV trace does not record/);
  // A bad line in a streamed file is named beside the field, as in a whole read; so is a cut
  // zstd stream.
  await page.setInputFiles('#replay-file', { name: 'bad.csv', mimeType: 'text/csv', buffer: Buffer.from('time,key,size\n1,1,1\n2,notakey,1\n') });
  await page.click('#run');
  await page.waitForFunction(() => document.body.dataset.state === 'error');
  assert.match(await page.locator('#e-replay').textContent(), /line 3/);
  const zst = readFileSync(join(ROOT, 'www/traces/cloudphysics.oracleGeneral.zst'));
  await page.setInputFiles('#replay-file', { name: 'cut.zst', mimeType: 'application/zstd', buffer: zst.subarray(0, 100_000) });
  await page.click('#run');
  await page.waitForFunction(() => document.body.dataset.state === 'error');
  assert.match(await page.locator('#e-replay').textContent(), /zstd stream is truncated/);
  assert.deepEqual(errors, []);
  await page.close();
});
