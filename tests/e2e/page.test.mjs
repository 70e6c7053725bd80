// The page in a real browser: it loads, the wasm module initialises, the chart draws from Rust's
// numbers, a control re-runs it, bad input shows the core's message, and nothing logs an error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { servedBrowser, open, settled, ROOT } from './harness.mjs';

const env = servedBrowser();

test('the page loads, runs the core and draws the chart', async () => {
  const { page, errors } = await open(env.browser, `${env.server.url}?lesson=capacity`);
  await settled(page);
  assert.equal(await page.evaluate(() => document.body.dataset.state), 'ready');
  // uPlot draws onto a canvas; the table lists one row per capacity.
  assert.equal(await page.locator('#charts canvas').count(), 1);
  const rows = await page.locator('#table tbody tr').count();
  assert.ok(rows >= 2, `table rows: ${rows}`);
  assert.match(await page.locator('#notice-line').textContent(), /serves \d+(\.\d)? % of requests/);
  mkdirSync(join(ROOT, 'target'), { recursive: true });
  await page.screenshot({ path: join(ROOT, 'target', 'page-capacity.png'), fullPage: true });
  assert.deepEqual(errors, []);
});

test('the numbers on the page equal the native CLI for the same parameters and seed', async () => {
  const { page, errors } = await open(env.browser, `${env.server.url}?lesson=capacity&keys=2000&skew=0.8&requests=30000&points=6&seed=42`);
  await settled(page);
  const fromPage = await page.evaluate(() => window.cachelabLastReport);
  const cli = execFileSync('cargo', ['run', '--quiet', '--', 'curve', '--json', '--seed', '42',
    '--set', 'keys=2000', '--set', 'skew=0.8', '--set', 'requests=30000', '--set', 'points=6'], { cwd: ROOT });
  assert.deepEqual(fromPage, JSON.parse(cli));
  assert.deepEqual(errors, []);
});

test('changing a knob and pressing Run re-runs with the new value', async () => {
  const { page, errors } = await open(env.browser, `${env.server.url}?lesson=capacity`);
  await settled(page);
  const before = await page.evaluate(() => window.cachelabLastReport.points.at(-1).hits);
  await page.fill('#p-skew', '0.2');
  await page.click('#run');
  await page.waitForFunction((b) => window.cachelabLastReport.points.at(-1).hits !== b && document.body.dataset.state === 'ready', before);
  assert.equal(await page.evaluate(() => window.cachelabLastReport.params.skew), 0.2);
  assert.match(page.url(), /skew=0\.2/);
  assert.deepEqual(errors, []);
});

test('an out-of-range value shows the core message beside the field and the page keeps working', async () => {
  const { page, errors } = await open(env.browser, `${env.server.url}?lesson=capacity`);
  await settled(page);
  await page.fill('#p-keys', '0');
  await page.click('#run');
  await page.waitForFunction(() => document.body.dataset.state === 'error');
  assert.equal(await page.locator('#e-keys').textContent(), 'parameter `keys` must be between 1 and 1000000 keys (got 0)');
  await page.fill('#p-keys', '500');
  await page.click('#run');
  await page.waitForFunction(() => document.body.dataset.state === 'ready');
  assert.deepEqual(errors, []);
});

test('a link with an unknown lesson falls back to the defaults with a notice', async () => {
  const { page, errors } = await open(env.browser, `${env.server.url}?lesson=nope&keys=%%%`);
  await settled(page);
  assert.equal(await page.evaluate(() => document.body.dataset.state), 'ready');
  assert.match(await page.locator('#notice').textContent(), /unknown lesson/);
  assert.deepEqual(errors, []);
});

test('a long run shows progress and Cancel stops it; the page keeps working', async () => {
  const { page, errors } = await open(env.browser, `${env.server.url}?lesson=capacity`);
  await settled(page);
  await page.fill('#p-keys', '1000000');
  await page.fill('#p-requests', '10000000');
  await page.fill('#p-points', '64');
  await page.click('#run');
  await page.locator('#cancel').waitFor({ state: 'visible' });
  await page.waitForFunction(() => document.getElementById('progress').value > 0);
  await page.click('#cancel');
  await page.waitForFunction(() => document.body.dataset.state === 'cancelled');
  assert.equal(await page.locator('#cancel').isHidden(), true);
  await page.fill('#p-keys', '100');
  await page.fill('#p-requests', '1000');
  await page.click('#run');
  await page.waitForFunction(() => document.body.dataset.state === 'ready');
  assert.equal(await page.evaluate(() => window.cachelabLastReport.params.keys), 100);
  assert.deepEqual(errors, []);
});

test('the report exports as JSON and the series as CSV', async () => {
  const { page, errors } = await open(env.browser, `${env.server.url}?lesson=capacity&keys=50&points=3&seed=5`);
  await settled(page);
  const [json] = await Promise.all([page.waitForEvent('download'), page.click('#export-json')]);
  const report = JSON.parse(await streamText(await json.createReadStream()));
  assert.deepEqual(report, await page.evaluate(() => window.cachelabLastReport));
  const [csv] = await Promise.all([page.waitForEvent('download'), page.click('#export-csv')]);
  const lines = (await streamText(await csv.createReadStream())).trim().split('\n');
  assert.equal(lines.length, 1 + report.points.length);
  assert.match(lines[0], /capacity/);
  assert.deepEqual(errors, []);
});

async function streamText(stream) {
  const chunks = [];
  for await (const c of stream) chunks.push(c);
  return Buffer.concat(chunks).toString('utf8');
}

test('a panic in the core is reported on the page, which keeps working', async () => {
  const { page, errors } = await open(env.browser, env.server.url);
  await settled(page);
  const message = await page.evaluate(async () => {
    const { Core } = await import('./www/core.js');
    const core = new Core();
    const crash = await core.call('crashForTesting').then(() => 'no error', (e) => e.message);
    const after = await core.call('l1CurveParams');
    return { crash, recovered: after.length > 0 };
  });
  assert.match(message.crash, /the core crashed .*crashForTesting was called/s);
  assert.equal(message.recovered, true);
  // The panic hook also logs the panic to the console: that one error is expected.
  assert.ok(errors.every((e) => /crashForTesting/.test(e)), errors.join('\n'));
});

test('a link with malformed values falls back to the defaults with a notice', async () => {
  const { page, errors } = await open(env.browser, `${env.server.url}?lesson=capacity&keys=abc&skew=99&points=2.5&seed=-4&requests=5000`);
  await settled(page);
  assert.equal(await page.evaluate(() => document.body.dataset.state), 'ready');
  const notice = await page.locator('#notice').textContent();
  for (const name of ['keys', 'skew', 'points', 'seed']) assert.match(notice, new RegExp(name));
  const report = await page.evaluate(() => window.cachelabLastReport);
  // keys falls back to the lesson's default (lessons/capacity.json), not the curve's own.
  assert.deepEqual([report.params.keys, report.params.requests, report.seed], [4096, 5000, 1]);
  assert.deepEqual(errors, []);
});

test('the Redis console answers like redis-cli and its key table counts TTLs down in simulated time', async () => {
  const { page, errors } = await open(env.browser, `${env.server.url}?lesson=console`);
  await page.locator('#console-input').waitFor({ state: 'visible' });
  const send = async (line) => {
    const before = await page.locator('#console-output .reply').count();
    await page.fill('#console-input', line);
    await page.press('#console-input', 'Enter');
    await page.waitForFunction((n) => document.querySelectorAll('#console-output .reply').length > n, before);
    return page.locator('#console-output .reply').last().textContent();
  };
  assert.equal(await send('SET greeting "hello world" EX 10'), 'OK');
  assert.equal(await send('GET greeting'), '"hello world"');
  assert.equal(await send('INCR greeting'), '(error) ERR value is not an integer or out of range');
  assert.equal(await send('SADD s a b'), '(integer) 2');
  await page.waitForFunction(() => document.querySelectorAll('#console-keys tbody tr').length === 2);
  assert.match(await page.locator('#console-keys tbody').textContent(), /greeting.*string.*10\.0 s/);
  await page.click('[data-advance-ms="60000"]');
  await page.waitForFunction(() => document.querySelectorAll('#console-keys tbody tr').length === 1);
  assert.equal(await send('TTL greeting'), '(integer) -2');
  // Hostile input is an error reply, never a dead page.
  assert.match(await send('SET "unbalanced'), /Invalid argument/);
  assert.match(await send('NOSUCHCOMMAND x'), /^\(error\) ERR unknown command/);
  assert.equal(await send('PING'), 'PONG');
  await page.screenshot({ path: join(ROOT, 'target', 'lesson-console.png'), fullPage: true });
  assert.deepEqual(errors, []);
});
