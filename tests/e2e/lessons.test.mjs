// Every lesson in a real browser: it runs, its charts hold data, its numbers equal the native CLI
// for the same parameters and seed, and a shared link reproduces the run. Screenshots of each
// lesson land in target/ for a reviewer.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { serve, launch, open, settled, ROOT } from './harness.mjs';

// Short runs: the lessons' own defaults are longer, which the page handles with its progress bar.
const QUICK = { duration_s: '8', rate: '3000' };
const SCENARIO_LESSONS = [
  ['stampede', 'stampede'],
  ['avalanche', 'avalanche'],
  ['penetration', 'penetration'],
  ['schema-deploy', 'schema-deploy'],
  ['consistency', 'consistency'],
  ['layers', 'stampede'],
  ['multilayer', 'multilayer'],
  // Lessons whose scenario has other knobs name their own short run.
  ['response-cache', 'response-cache', { duration_s: '8', rate: '300' }],
  ['ratelimit', 'ratelimit', { duration_s: '180' }],
  ['tags', 'tags', { duration_s: '60' }],
  ['keys', 'keys', { duration_s: '40' }],
  ['query-cache', 'query-cache', { duration_s: '40' }],
];

let server, browser;
before(async () => {
  server = await serve();
  browser = await launch();
  mkdirSync(join(ROOT, 'target'), { recursive: true });
});
after(async () => {
  await browser?.close();
  await server?.close();
});

for (const [lesson, scenario, quick = QUICK] of SCENARIO_LESSONS) {
  test(`lesson ${lesson}: runs, charts its data and equals \`cachelab run ${scenario}\``, async () => {
    const seed = 11;
    const url = `${server.url}?${new URLSearchParams({ lesson, ...quick, seed })}`;
    const { page, errors } = await open(browser, url);
    await settled(page);
    assert.equal(await page.evaluate(() => document.body.dataset.state), 'ready');
    const report = await page.evaluate(() => window.cachelabLastReport);
    assert.ok(report.variants.length >= 1);
    for (const v of report.variants) assert.ok(v.series.t_s.length >= 8, `${v.name} has a series`);
    assert.ok((await page.locator('#charts canvas').count()) >= 1);
    assert.match(await page.locator('#notice-line').textContent(), /\d/);
    await page.screenshot({ path: join(ROOT, 'target', `lesson-${lesson}.png`), fullPage: true });

    // The page sends every field of the form; the CLI gets the same values.
    const sets = Object.entries(report.params).flatMap(([k, v]) => ['--set', `${k}=${v}`]);
    // A lesson may run some of its scenario's variants only (layers: `none`).
    const only = ['--variant', report.variants.map((v) => v.name).join(',')];
    const cli = execFileSync('cargo', ['run', '--quiet', '--', 'run', scenario, '--json', '--seed', String(seed), ...only, ...sets], { cwd: ROOT });
    assert.deepEqual(report, JSON.parse(cli));
    assert.deepEqual(errors, []);
  });
}

test('the keys lesson shows a typed call\'s key under each scheme, and names a bad argument', async () => {
  const { page, errors } = await open(browser, `${server.url}?lesson=keys&duration_s=10&seed=1`);
  await settled(page);
  await page.fill('#keys-call', "get_products('books', limit=10)");
  // The chapter's key of this call, as its Python prints it.
  await page.locator('#keys-table code', { hasText: 'products:get_products:49c8eb0e96cda722' }).waitFor();
  assert.equal(await page.locator('#keys-table tbody tr').count(), 3);
  await page.fill('#keys-call', 'get_by_id(7)');
  await page.locator('#keys-error', { hasText: 'users.get_by_id, products.get_by_id' }).waitFor();
  await page.fill('#keys-call', "get_products('books', colour='red')");
  await page.locator('#keys-error', { hasText: '`colour`' }).waitFor();
  // Another lesson hides the widget.
  await page.goto(`${server.url}?lesson=tags&duration_s=10`);
  await settled(page);
  assert.equal(await page.locator('#keys-widget').isVisible(), false);
  assert.deepEqual(errors, []);
});

test('buckets without requests are gaps in the charts, not zeros and not a crash', async () => {
  // 2 requests/s in quarter-second buckets: most buckets are empty (issue 15, item 7).
  const url = `${server.url}?${new URLSearchParams({ lesson: 'layers', rate: '2', duration_s: '3', bucket_ms: '250', seed: 1 })}`;
  const { page, errors } = await open(browser, url);
  await settled(page);
  assert.equal(await page.evaluate(() => document.body.dataset.state), 'ready');
  const series = await page.evaluate(() => window.cachelabLastReport.variants[0].series);
  const empty = series.requests.flatMap((n, i) => (n === 0 ? [i] : []));
  assert.ok(empty.length > 0);
  for (const i of empty) assert.deepEqual([series.hit_ratio[i], series.p99_ms[i]], [null, null]);
  assert.ok((await page.locator('#charts canvas').count()) >= 1);
  assert.deepEqual(errors, []);
});

test('a shared link reproduces the same run', async () => {
  const first = await open(browser, `${server.url}?lesson=penetration&duration_s=5&rate=2000&seed=3`);
  await settled(first.page);
  const report = await first.page.evaluate(() => window.cachelabLastReport);
  const shared = first.page.url();
  assert.match(shared, /lesson=penetration/);
  assert.match(shared, /seed=3/);
  const second = await open(browser, shared);
  await settled(second.page);
  assert.deepEqual(await second.page.evaluate(() => window.cachelabLastReport), report);
  assert.deepEqual([...first.errors, ...second.errors], []);
});

test('an out-of-range scenario parameter is shown beside its field', async () => {
  const { page, errors } = await open(browser, `${server.url}?lesson=stampede&duration_s=3&rate=1000`);
  await settled(page);
  await page.fill('#p-rate', '0');
  await page.click('#run');
  await page.waitForFunction(() => document.body.dataset.state === 'error');
  assert.match(await page.locator('#e-rate').textContent(), /`rate` must be between 1 and/);
  assert.deepEqual(errors, []);
});

test('the page fits a phone screen', async () => {
  const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
  await page.goto(`${server.url}?lesson=stampede&duration_s=4&rate=1000`);
  await settled(page);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the page is ${overflow}px wider than the screen`);
  await page.screenshot({ path: join(ROOT, 'target', 'lesson-stampede-phone.png') });
});

test('lesson eviction: the bundled trace and a local file give miss-ratio curves equal to `cachelab replay`', async () => {
  const { page, errors } = await open(browser, `${server.url}?lesson=eviction&policies=lru,sieve,s3fifo&sizes=0.01,0.1`);
  await settled(page);
  const bundled = await page.evaluate(() => window.cachelabLastReport);
  assert.equal(bundled.rows.length, 6);
  await page.screenshot({ path: join(ROOT, 'target', 'lesson-eviction.png'), fullPage: true });
  const cli = JSON.parse(execFileSync('cargo', ['run', '--quiet', '--', 'replay', 'www/traces/cloudphysics.csv',
    '--policy', 'lru,sieve,s3fifo', '--size', '0.01,0.1', '--json'], { cwd: ROOT }));
  assert.deepEqual(bundled.rows, cli.rows);

  // A local file: read in the worker, never fetched from the server.
  const requested = [];
  page.on('request', (r) => requested.push(r.url()));
  await page.selectOption('#replay-source', 'local');
  await page.setInputFiles('#replay-file', { name: 'mine.csv', mimeType: 'text/csv', buffer: Buffer.from('time,key,size\n1,1,1\n2,2,1\n3,1,1\n4,3,1\n5,1,1\n') });
  await page.fill('#replay-sizes', '2');
  await page.click('#run');
  await page.waitForFunction(() => document.body.dataset.state === 'ready' && window.cachelabLastReport.trace === 'mine.csv');
  const local = await page.evaluate(() => window.cachelabLastReport);
  assert.equal(local.requests, 5);
  assert.equal(local.rows.find((r) => r.policy === 'lru').misses, 3);
  assert.ok(requested.every((u) => !u.includes('mine.csv')));

  // A garbage file is an error beside the field, and the page keeps working.
  await page.setInputFiles('#replay-file', { name: 'bad.csv', mimeType: 'text/csv', buffer: Buffer.from('time,key,size\n1,notakey,1\n') });
  await page.click('#run');
  await page.waitForFunction(() => document.body.dataset.state === 'error');
  assert.match(await page.locator('#e-replay').textContent(), /line 2/);
  assert.deepEqual(errors, []);
});

test('step mode lists the first events of each variant, request by request', async () => {
  const { page, errors } = await open(browser, `${server.url}?lesson=stampede&duration_s=3&rate=100&ttl_s=0.5&event_log=200&event_log_from_s=0&seed=2`);
  await settled(page);
  // One tab per variant, one variant's requests shown at a time.
  assert.equal(await page.locator('#events [role="tab"]').count(), 6);
  const requests = page.locator('#events [role="tabpanel"] li[data-req]');
  assert.ok((await requests.count()) >= 80);
  await requests.first().locator('summary').click();
  assert.match(await requests.first().textContent(), /a read arrives.*answered by L2/s);
  const text = await page.locator('#events [role="tabpanel"]').textContent();
  assert.match(text, /L2 has no fresh entry/);
  assert.match(text, /database query to fill the cache/);
  assert.deepEqual(errors, []);
});
