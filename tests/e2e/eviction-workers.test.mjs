// The eviction lesson's sweep spread over several Web Workers: one worker per policy up to the
// cores the browser reports, the same rows as one worker, one progress bar for the whole.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { servedBrowser, open, settled } from './harness.mjs';

const env = servedBrowser();

/** Runs the lesson again on `workers` sweep workers; resolves to its report. */
async function runOn(page, workers) {
  await page.evaluate((n) => {
    window.cachelabSweepWorkers = n;
    window.cachelabLastReport = null;
  }, workers);
  await page.click('#run');
  await page.waitForFunction(() => document.body.dataset.state !== 'running' && window.cachelabLastReport);
  await settled(page);
  return page.evaluate(() => window.cachelabLastReport);
}

test('eviction: a sweep over four workers gives the rows of one worker', async () => {
  const { page, errors } = await open(env.browser, `${env.server.url}?lesson=eviction&policies=lru,fifo,sieve,s3fifo,arc&sizes=0.01,0.1`);
  await settled(page);
  // The first run used as many workers as the browser reports cores (five policies at most):
  // the lesson's own and the helpers beside it, which are kept; four need the rest.
  const before = page.workers().length;
  const cores = await page.evaluate(() => navigator.hardwareConcurrency);
  const helpers = Math.max(0, Math.min(cores, 5) - 1);
  const spread = await runOn(page, 4);
  assert.equal(page.workers().length, before + Math.max(0, 3 - helpers), `${cores} cores`);
  const single = await runOn(page, 1);
  assert.deepEqual(spread.rows, single.rows);
  // In policy order, whichever worker finished first.
  assert.deepEqual([...new Set(spread.rows.map((r) => r.policy))], ['lru', 'fifo', 'sieve', 's3fifo', 'arc']);
  assert.deepEqual(spread.classes, single.classes);
  assert.deepEqual(errors, []);
});
