// The course page's own pieces (issues 16 and 17): the monitoring panel, failed requests over
// time, the glossary behind the words, readable knobs, the phone layout, and step mode's log by
// request, starting where the lesson (or a click on a chart) says. Screenshots under target/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { open, settled, servedBrowser, ROOT } from './harness.mjs';

const env = servedBrowser();
const shots = join(ROOT, 'target', 'screenshots');
mkdirSync(shots, { recursive: true });

const at = (query) => `${env.server.url}?${new URLSearchParams(query)}`;

async function ready(query, viewport) {
  const { page, errors } = await open(env.browser, at(query));
  if (viewport) await page.setViewportSize(viewport);
  await settled(page);
  assert.equal(await page.evaluate(() => document.body.dataset.state), 'ready', await page.locator('#status').textContent());
  return { page, errors, report: await page.evaluate(() => window.cachelabLastReport) };
}

test('the monitoring panel charts L2 over time and lists the alerts that the headline no longer holds', async () => {
  // A memory mark below the 1,000 warm keys' 112 kB: the memory alert fires at 0 s.
  const { page, errors, report } = await ready({ lesson: 'stampede', duration_s: '8', rate: '2000', alert_memory_mb: '0.1', alert_hit_ratio: '0.99', seed: '1' });
  const panel = page.locator('#monitoring');
  assert.equal(await panel.isVisible(), true);
  assert.equal(await panel.locator('canvas').count() >= 3, true);
  const series = report.variants[0].monitoring.series;
  assert.equal(series.t_s.length, report.variants[0].series.t_s.length);
  const rows = panel.locator('#alerts tr:has(td)');
  const alerts = report.variants.flatMap((v) => v.monitoring.alerts);
  assert.ok(alerts.some((a) => a.kind === 'memory_high'), 'the memory alert fired');
  assert.equal(await rows.count(), alerts.length);
  assert.match(await rows.first().textContent(), new RegExp(`^${report.variants[0].name}0 sL2 memory above the mark0\\.11 MB0\\.10 MB`));
  // The headline says what the run shows: no alert, no definition.
  const headline = await page.locator('#notice-line').textContent();
  assert.doesNotMatch(headline, /alert|Hit ratio =/i);
  // The hit ratio's one definition is the table's caption, from the core.
  assert.equal(await page.locator('#table caption').textContent(), report.hit_ratio_definition);
  // Another variant's charts on demand.
  await page.selectOption('#monitoring-variant', 'swr');
  assert.match(await panel.locator('h4').first().textContent(), /swr/);
  await panel.screenshot({ path: join(shots, 'coursepage-monitoring.png') });
  assert.deepEqual(errors, []);
});

test('failed requests: a column in the table, and a chart over time whenever a run has any', async () => {
  const calm = await ready({ lesson: 'stampede', duration_s: '6', rate: '2000', seed: '1' });
  const titles = async (page) => page.locator('#charts h3').allTextContents();
  assert.ok(!(await titles(calm.page)).includes('failed requests per second'));
  assert.ok((await calm.page.locator('#table th').allTextContents()).includes('failed requests'));
  // Queries slower than the timeout: requests that reach the database fail.
  const { page, errors, report } = await ready({ lesson: 'stampede', duration_s: '6', rate: '2000', ttl_s: '1', db_p50_ms: '400', db_p99_ms: '900', timeout_ms: '300', seed: '1' });
  const failed = report.variants.reduce((n, v) => n + v.summary.errors, 0);
  assert.ok(failed > 0);
  assert.ok((await titles(page)).includes('failed requests per second'));
  const head = await page.locator('#table th').allTextContents();
  const column = head.indexOf('failed requests');
  const cells = await page.locator(`#table tbody tr td:nth-child(${column + 1})`).allTextContents();
  assert.deepEqual(cells.map(Number), report.variants.map((v) => v.summary.errors));
  assert.deepEqual(errors, [...calm.errors]);
});

test('glossary: the terms of a lesson are buttons that open the core\'s definition', async () => {
  const { page, errors } = await ready({ lesson: 'stampede', duration_s: '4', rate: '1000', event_log: '0' });
  const glossary = JSON.parse(execFileSync('cargo', ['run', '--quiet', '--', 'glossary', '--json'], { cwd: ROOT }));
  const terms = await page.locator('#lesson-text button.term').evaluateAll((bs) => bs.map((b) => b.dataset.term));
  for (const id of ['singleflight', 'xfetch', 'stale-while-revalidate']) assert.ok(terms.includes(id), `${id} in ${terms}`);
  assert.equal(new Set(terms).size, terms.length, 'each term is a button once per lesson');
  await page.locator('#lesson-text button[data-term="xfetch"]').click();
  const panel = page.locator('#glossary-panel');
  assert.equal(await panel.isVisible(), true);
  assert.equal(await panel.locator('p').textContent(), glossary.find((t) => t.id === 'xfetch').definition);
  await page.keyboard.press('Escape');
  assert.equal(await panel.isVisible(), false);
  // Other lessons' words: Belady in the eviction lesson, compare-and-set and lease in the writes.
  for (const [lesson, ids] of [['eviction', ['belady', 'lru']], ['consistency', ['write-behind', 'refresh-ahead']], ['capacity', ['zipf']]]) {
    await page.evaluate((l) => document.querySelector(`#lessons button[data-lesson="${l}"]`).click(), lesson);
    await page.waitForFunction((l) => new URLSearchParams(location.search).get('lesson') === l, lesson);
    const found = await page.locator('#lesson-text button.term').evaluateAll((bs) => bs.map((b) => b.dataset.term));
    for (const id of ids) assert.ok(found.includes(id), `${lesson}: ${id} in ${found}`);
    await settled(page);
  }
  assert.deepEqual(errors, []);
});

test('knobs read as words with their identifier beside them, the lesson\'s own first', async () => {
  const { page, errors } = await ready({ lesson: 'stampede', duration_s: '4', rate: '1000' });
  const label = page.locator('label[for="p-db_p99_ms"]');
  assert.match(await label.textContent(), /^database p99 latency \(ms\) db_p99_ms$/);
  assert.equal(await label.locator('code').textContent(), 'db_p99_ms');
  // The lesson's main knobs are open; the others are folded.
  assert.equal(await page.locator('#fields > .field #p-ttl_s').count(), 1);
  assert.equal(await page.locator('#fields details.more-params #p-l1_keys').count(), 1);
  assert.equal(await page.locator('#fields details.more-params').evaluate((d) => d.open), false);
  assert.deepEqual(errors, []);
});

test('on a phone the navigation is one control and the text and first chart come before the knobs', async () => {
  const { page, errors } = await ready({ lesson: 'stampede', duration_s: '4', rate: '1000' }, { width: 390, height: 844 });
  assert.equal(await page.locator('#lessons').isVisible(), false);
  assert.equal(await page.locator('#lesson-select').isVisible(), true);
  const y = async (sel) => (await page.locator(sel).first().boundingBox()).y;
  const [text, chart, knobs] = [await y('#lesson-text'), await y('#charts figure'), await y('#knobs')];
  assert.ok(text < chart && chart < knobs, `text ${text}, first chart ${chart}, knobs ${knobs}`);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `no horizontal scrolling (${overflow} px)`);
  await page.screenshot({ path: join(shots, 'coursepage-phone.png') });
  // The one control changes the lesson.
  await page.selectOption('#lesson-select', 'avalanche');
  await page.waitForFunction(() => new URLSearchParams(location.search).get('lesson') === 'avalanche');
  assert.equal(await page.locator('#lesson-title').textContent(), 'Avalanche: everything expires at once');
  await settled(page);
  assert.deepEqual(errors, []);
});

test('step log: at the stampede lesson\'s defaults it reaches the first expiry, a request at a time', async () => {
  const { page, errors, report } = await ready({ lesson: 'stampede' });
  const none = report.variants.find((v) => v.name === 'none');
  const expiryMs = none.hot_key.expiries_s[0] * 1000;
  assert.ok(none.events[0].t_ms >= report.params.event_log_from_s * 1000);
  assert.ok(none.events.some((e) => e.t_ms >= expiryMs && e.event === 'db_query'), 'the log reaches the expiry');
  // Tabs, one variant at a time.
  const tabs = page.locator('#events [role="tab"]');
  assert.deepEqual(await tabs.allTextContents(), report.variants.map((v) => v.name));
  assert.equal(await page.locator('#events [role="tabpanel"]').count(), 1);
  // The variant without protection (the chapter's lock comes first).
  await tabs.filter({ hasText: /^none$/ }).click();
  // A request that missed: its group lists its own events only, arrival first, answer last.
  const missed = none.events.find((e) => e.event === 'read' && e.served === 'db');
  const own = none.events.filter((e) => e.req === missed.req);
  const group = page.locator(`#events li[data-req="${missed.req}"]`);
  await group.locator('summary').click();
  const rows = group.locator('tr[data-event]');
  assert.deepEqual(await rows.evaluateAll((rs) => rs.map((r) => r.dataset.event)), own.map((e) => e.event));
  assert.equal(own[0].event, 'arrived');
  assert.equal(own.at(-1).event, 'read');
  assert.match(await group.locator('summary').textContent(), new RegExp(`^request ${missed.req} · read of key 0 .* answered from its own database query`));
  await group.scrollIntoViewIfNeeded();
  await page.locator('#events').screenshot({ path: join(shots, 'coursepage-steplog.png') });
  // The lock variant names its steps.
  await tabs.filter({ hasText: /^lock$/ }).click();
  assert.match(await page.locator('#events [role="tabpanel"]').textContent(), /lock holder/);
  assert.deepEqual(errors, []);
});

test('step log: a click on a chart moves the log to that instant', async () => {
  const { page, errors } = await ready({ lesson: 'stampede', duration_s: '8', rate: '1000', event_log: '300', seed: '1' });
  const plot = page.locator('#charts .u-over').first();
  const box = await plot.boundingBox();
  await plot.click({ position: { x: box.width * 0.75, y: box.height / 2 } });
  await page.waitForFunction(() => Number(new URLSearchParams(location.search).get('event_log_from_s')) > 0);
  await settled(page);
  const report = await page.evaluate(() => window.cachelabLastReport);
  const from = report.params.event_log_from_s;
  assert.ok(from > 4 && from < 8, `clicked at ${from} s`);
  assert.equal(await page.locator('#p-event_log_from_s').inputValue(), String(from));
  for (const v of report.variants) assert.ok(v.events.every((e) => e.t_ms >= from * 1000));
  assert.match(await page.locator('#events h3').textContent(), new RegExp(`from ${from} s`));
  assert.deepEqual(errors, []);
});

test('the expired marks sit over the dip they caused: each bucket is drawn across its width', async () => {
  const { page, errors, report } = await ready({ lesson: 'stampede', duration_s: '14', rate: '10000', event_log: '0', seed: '1' });
  const none = report.variants.find((v) => v.name === 'none');
  const expiries = none.hot_key.expiries_s;
  // A second expiry inside a bucket (not on its edge): the one a point-per-bucket chart drew off.
  assert.ok(expiries.some((x) => x % 1 !== 0), `${expiries}`);
  const drawn = await page.evaluate(async ({ report, expiries }) => {
    const { asSteps, stepValueAt } = await import('./www/chart.js');
    const v = report.variants.find((x) => x.name === 'none');
    const spec = { x: v.series.t_s, step: report.params.bucket_ms / 1000, series: [{ label: 'none', values: v.series.hit_ratio }] };
    const stepped = asSteps(spec);
    return {
      length: stepped.x.length,
      at: expiries.map((x) => stepValueAt(spec, 0, x)),
    };
  }, { report, expiries });
  assert.equal(drawn.length, none.series.t_s.length + 1);
  const hr = none.series.hit_ratio;
  for (const [i, x] of expiries.entries()) {
    const b = Math.floor(x / (report.params.bucket_ms / 1000));
    // The value drawn under the mark is its own bucket's, and that bucket is the dip.
    assert.equal(drawn.at[i], hr[b]);
    assert.ok(hr[b] < hr[b - 1] && hr[b] < hr[b + 1], `the dip of expiry ${x} is bucket ${b}: ${hr.slice(b - 1, b + 2)}`);
  }
  assert.deepEqual(errors, []);
});
