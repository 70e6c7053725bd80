// The eviction lesson's sizes and trace tools in a real browser: one unit per run (said on the
// axis and in the CSV), percentages, exact limits, mixed units refused by name, the sizes and
// policies asked for in the JSON export, LRU's exact curve as a line beside its sampled one (with
// the sampling's error said), the trace's analysis, and the bundled .oracleGeneral.zst sample
// replaying as its CSV.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { servedBrowser, open, settled, ROOT } from './harness.mjs';

const env = servedBrowser();

/** Types `sizes`, runs, and waits for the run to settle. */
async function runWith(page, sizes) {
  await page.fill('#replay-sizes', sizes);
  await page.click('#run');
  await page.waitForFunction(() => document.body.dataset.state !== 'running');
  await settled(page);
}

test('eviction sizes: one unit per run, percentages, exact limits, the asked sizes in the export', async () => {
  const { page, errors } = await open(env.browser, `${env.server.url}?lesson=eviction&policies=lru,sieve&sizes=10%25,5000`);
  await settled(page);
  const report = await page.evaluate(() => window.cachelabLastReport);
  // 10 % of the 48,974 keys is 4,897 objects; 5000 is 5,000 objects: one unit, objects.
  assert.deepEqual([...new Set(report.rows.map((r) => r.capacity))], [4897, 5000]);
  assert.ok(report.rows.every((r) => r.unit === 'objects'));
  assert.deepEqual(report.asked, { policies: ['lru', 'sieve'], sizes: '10%,5000' });
  assert.match(await page.locator('#charts h3').first().textContent(), /miss ratio against cache size/);
  assert.match(await page.locator('#charts').textContent(), /cache size \(objects, log scale\)/);
  assert.match(await page.locator('#table th').first().textContent(), /capacity \(objects\)/);
  const download = page.waitForEvent('download');
  await page.click('#export-csv');
  const csv = await (await (await download).createReadStream()).toArray();
  const text = Buffer.concat(csv).toString();
  assert.match(text, /^policy,capacity,unit,requests,misses/);
  assert.match(text, /\nlru,4897,objects,113872,91657,/);

  // Mixed units are refused, naming what was mixed; nothing is drawn on one axis.
  await runWith(page, '0.5,5000,64MiB');
  assert.equal(await page.evaluate(() => document.body.dataset.state), 'error');
  assert.match(await page.locator('#e-replay').textContent(), /mixes objects \(0\.5, 5000\) and bytes \(64MiB\)/);

  // Limits are printed as the integers they are, not as a JavaScript float.
  await runWith(page, '0');
  const zero = await page.locator('#e-replay').textContent();
  assert.match(zero, /between 1 and 18446744073709551615 objects/);
  assert.doesNotMatch(zero, /18446744073709552000/);

  // Bytes alone are a run in bytes, said on the axis.
  await runWith(page, '64MiB,1GiB');
  const bytes = await page.evaluate(() => window.cachelabLastReport);
  assert.ok(bytes.rows.every((r) => r.unit === 'bytes'));
  assert.equal(bytes.lru_exact, undefined, 'no exact LRU curve for byte capacities');
  assert.match(await page.locator('#charts').textContent(), /cache size \(bytes, log scale\)/);
  assert.deepEqual(errors, []);
});

test('eviction: the exact LRU curve is a line through the replayed LRU points, beside the trace analysis', async (t) => {
  const { page, errors } = await open(env.browser, `${env.server.url}?lesson=eviction&policies=lru,s3fifo&sizes=mrc`);
  await settled(page);
  const report = await page.evaluate(() => window.cachelabLastReport);
  assert.ok(report.lru_exact.length > 100, `${report.lru_exact.length} points`);
  // Where both exist, the exact curve and the replay agree exactly.
  for (const row of report.rows.filter((r) => r.policy === 'lru')) {
    const point = report.lru_exact.find((p) => p.capacity === row.capacity);
    if (point) assert.equal(point.miss_ratio, row.miss_ratio);
  }
  assert.equal(report.analysis.one_hit_wonders, 21049);
  // The miss-ratio curves, three analysis charts, and the miss classes' bars.
  assert.equal(await page.locator('#charts figure').count(), 5);
  assert.match(await page.locator('#charts').textContent(), /LRU, every size \(exact\)/);
  // Beside it, the line a streamed file gets (at most 10,000 of the 48,974 keys), and how far it
  // is from the exact curve on this trace, computed in this run.
  assert.match(await page.locator('#charts').textContent(), /LRU, sampled \(SHARDS, 10000 keys\)/);
  const error = report.lru_sampled.mean_absolute_error;
  assert.ok(error > 0 && error < 0.01, `${error}`);
  const notice = await page.locator('#notice-line').textContent();
  assert.match(notice, /Sampled as a streamed file is \(fixed-size SHARDS: 10000 of these 48974 keys, a rate of [\d.]+ %\), LRU's curve is off the exact one by 0\.\d{4} of miss ratio on average over its \d+ sizes \(mean absolute error\)/);
  assert.ok(notice.includes(error.toFixed(4)), notice);
  t.diagnostic(notice);
  assert.match(await page.locator('#charts').textContent(), /Zipf exponent/);
  assert.match(await page.locator('#notice-line').textContent(), /requested only once/);
  await page.screenshot({ path: join(ROOT, 'target', 'lesson-eviction-exact-and-analysis.png'), fullPage: true });

  // The same trace as libCacheSim ships it, zstd-compressed oracleGeneral: the same rows.
  await page.selectOption('#replay-source', 'bundled-zst');
  await page.click('#run');
  await page.waitForFunction(() => document.body.dataset.state === 'ready' && window.cachelabLastReport.trace.includes('.zst'));
  const zst = await page.evaluate(() => window.cachelabLastReport);
  assert.deepEqual(zst.rows, report.rows);
  assert.deepEqual(errors, []);
});
