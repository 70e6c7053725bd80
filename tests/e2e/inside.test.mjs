// The lesson "Inside a policy" in a real browser: it steps forward and back, plays and pauses,
// draws every policy's structures, answers a prediction, and shows what `cachelab step` prints for
// the same sequence. A screenshot per policy lands in target/screenshots/ for a reviewer.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { serve, launch, open, settled, ROOT } from './harness.mjs';

const SHOTS = join(ROOT, 'target', 'screenshots');
const KEYS = '1 2 3 4 1 2 5 1 2 3 4 5';
// What each policy draws, by list name (and the rings among them).
const LISTS = {
  lru: ['queue'],
  fifo: ['queue'],
  clock: ['ring'],
  sieve: ['queue'],
  s3fifo: ['small', 'main', 'ghost'],
  lfu: ['by frequency'],
  arc: ['T1', 'T2', 'B1', 'B2'],
  wtinylfu: ['window', 'probation', 'protected'],
  belady: ['cached'],
};

let server, browser;
before(async () => {
  server = await serve();
  browser = await launch();
  mkdirSync(SHOTS, { recursive: true });
});
after(async () => {
  await browser?.close();
  await server?.close();
});

/** Opens the lesson and waits for its first load. */
async function lesson() {
  const { page, errors } = await open(browser, `${server.url}?lesson=inside`);
  await settled(page);
  await page.waitForSelector('#inside-panes .pane');
  return { page, errors };
}

/** Loads `keys` (typed, or a preset's name) through `a` (and `b` beside it) at `size`. */
async function load(page, { keys = KEYS, size = 3, a = 'lru', b = '' }) {
  await page.evaluate(({ keys, size, a, b }) => {
    const set = (id, v) => { document.getElementById(id).value = v; };
    const preset = [...document.getElementById('inside-preset').options].some((o) => o.value === keys);
    set('inside-preset', preset ? keys : 'typed');
    if (!preset) set('inside-keys', keys);
    set('inside-size', String(size));
    set('inside-policy-a', a);
    set('inside-policy-b', b);
  }, { keys, size, a, b });
  await page.click('#inside-load');
  await page.waitForFunction(() => document.body.dataset.state === 'ready' && document.getElementById('inside-position').dataset.at === '-1');
}

/** Waits until the panes show step `i`. */
const at = (page, i) => page.waitForFunction((i) => [...document.querySelectorAll('#inside-panes .pane')].every((p) => p.dataset.step === String(i)), i);

/** What the first pane shows now. */
const shown = (page) => page.evaluate(() => {
  const pane = document.querySelector('#inside-panes .pane');
  return {
    hit: pane.dataset.hit === 'true',
    evicted: pane.dataset.evicted ? pane.dataset.evicted.split(' ').map(Number) : [],
    reason: pane.querySelector('.reason').textContent,
    lists: [...pane.querySelectorAll('svg.list')].map((s) => ({ name: s.dataset.list, keys: [...s.querySelectorAll('g.obj')].map((g) => Number(g.dataset.key)) })),
  };
});

test('steps forward and back with the keyboard and matches `cachelab step`', async () => {
  const { page, errors } = await lesson();
  for (const policy of Object.keys(LISTS)) {
    await load(page, { a: policy });
    const cli = JSON.parse(execFileSync('cargo', ['run', '--quiet', '--', 'step', KEYS, '--policy', policy, '--size', '3', '--json'], { cwd: ROOT }));
    await page.locator('body').focus();
    for (const [i, want] of cli.entries()) {
      await page.keyboard.press('ArrowRight');
      await at(page, i);
      const got = await shown(page);
      assert.equal(got.hit, want.hit, `${policy} step ${i}`);
      assert.deepEqual(got.evicted, want.evicted, `${policy} step ${i}`);
      assert.equal(got.reason, want.reason, `${policy} step ${i}`);
      assert.deepEqual(got.lists, want.state.lists.map((l) => ({ name: l.name, keys: l.items.map((x) => x.key) })), `${policy} step ${i}`);
    }
    // Back: the previous step's state again.
    await page.keyboard.press('ArrowLeft');
    await at(page, cli.length - 2);
    assert.equal((await shown(page)).reason, cli[cli.length - 2].reason);
    await page.click('#inside-back');
    await at(page, cli.length - 3);
  }
  assert.deepEqual(errors, []);
});

test('plays and pauses, with the button and the space bar', async () => {
  const { page, errors } = await lesson();
  await load(page, { keys: 'loop', size: 8 });
  await page.selectOption('#inside-speed', '5');
  await page.click('#inside-play');
  await page.waitForFunction(() => Number(document.getElementById('inside-position').dataset.at) >= 2);
  await page.click('#inside-play');
  const paused = await page.evaluate(() => document.getElementById('inside-position').dataset.at);
  await page.waitForTimeout(700);
  assert.equal(await page.evaluate(() => document.getElementById('inside-position').dataset.at), paused, 'pause stops the steps');
  await page.locator('body').focus();
  await page.keyboard.press(' ');
  await page.waitForFunction((p) => Number(document.getElementById('inside-position').dataset.at) > Number(p) + 1, paused);
  await page.keyboard.press(' ');
  const stopped = await page.evaluate(() => document.getElementById('inside-position').dataset.at);
  await page.waitForTimeout(700);
  assert.equal(await page.evaluate(() => document.getElementById('inside-position').dataset.at), stopped);
  assert.deepEqual(errors, []);
});

test('draws every policy\'s structures, side by side with another', async () => {
  const { page, errors } = await lesson();
  for (const [policy, lists] of Object.entries(LISTS)) {
    const beside = policy === 'lru' ? 'fifo' : 'lru';
    await load(page, { keys: 'scan', size: 6, a: policy, b: beside });
    for (let i = 0; i < 14; i += 1) await page.click('#inside-step');
    await at(page, 13);
    const panes = await page.locator('#inside-panes .pane').count();
    assert.equal(panes, 2, 'two policies side by side');
    const got = await shown(page);
    assert.deepEqual(got.lists.map((l) => l.name), lists, policy);
    assert.ok(got.lists.some((l) => l.keys.length > 0), `${policy} draws its objects`);
    const first = page.locator('#inside-panes .pane').first();
    if (policy === 'clock') {
      assert.equal(await first.locator('svg.ring').count(), 1, 'CLOCK is a ring');
      assert.equal(await first.locator('svg.ring .hand').count(), 1, 'with a hand');
    }
    if (policy === 'sieve') assert.equal(await first.locator('.hand').count(), 1, 'SIEVE has a hand');
    if (policy === 'arc') assert.match(await first.locator('.values').textContent(), /^p = /);
    if (['s3fifo', 'lfu', 'wtinylfu', 'belady', 'clock', 'sieve'].includes(policy)) {
      assert.ok(await first.locator('.mark').count() > 0, `${policy} shows its per-object numbers`);
    }
    await page.screenshot({ path: join(SHOTS, `inside-${policy}.png`), fullPage: true });
  }
  assert.deepEqual(errors, []);
});

test('predict the victim: the page says whether the guess was right and shows the rule', async () => {
  const { page, errors } = await lesson();
  await load(page, { keys: '1 2 3 1 4 5', size: 3, a: 'lru' });
  await page.check('#inside-predict');
  for (let i = 0; i < 4; i += 1) await page.click('#inside-step');
  await at(page, 3);
  // Request 5 (key 4) evicts: the page stops and asks.
  await page.click('#inside-step');
  await page.waitForSelector('#inside-prompt:not([hidden])');
  assert.match(await page.locator('#inside-prompt').textContent(), /which object will lru evict/);
  await page.click('#inside-panes .pane g.obj[data-key="2"]');
  await at(page, 4);
  const verdict = await page.locator('#inside-verdict').textContent();
  assert.match(verdict, /^Right: you picked 2, lru evicted 2\..*Evicted 2: LRU evicts the least recently used/);
  // A wrong guess on the next one (3 goes, not 1).
  await page.click('#inside-step');
  await page.waitForSelector('#inside-prompt:not([hidden])');
  await page.click('#inside-panes .pane g.obj[data-key="1"]');
  await at(page, 5);
  assert.match(await page.locator('#inside-verdict').textContent(), /^Not this time: you picked 1, lru evicted 3\./);
  await page.screenshot({ path: join(SHOTS, 'inside-predict.png'), fullPage: true });
  assert.deepEqual(errors, []);
});

test('bad input is refused with the field and its range', async () => {
  const { page, errors } = await lesson();
  await page.evaluate(() => { document.getElementById('inside-size').value = '65'; });
  await page.click('#inside-load');
  await page.waitForFunction(() => document.getElementById('inside-error').textContent !== '');
  assert.match(await page.locator('#inside-error').textContent(), /`size` must be between 1 and 64/);
  await page.evaluate(() => {
    document.getElementById('inside-size').value = '4';
    document.getElementById('inside-preset').value = 'typed';
    document.getElementById('inside-keys').value = '1 2 x';
  });
  await page.click('#inside-load');
  await page.waitForFunction(() => /item 3/.test(document.getElementById('inside-error').textContent));
  assert.deepEqual(errors, []);
});

test('the eviction lesson shows a stacked bar of miss classes per policy', async () => {
  const { page, errors } = await open(browser, `${server.url}?lesson=eviction&policies=lru,sieve,belady&sizes=0.01,0.05,0.1`);
  await settled(page);
  assert.equal(await page.evaluate(() => document.body.dataset.state), 'ready');
  const report = await page.evaluate(() => window.cachelabLastReport);
  // The classes are asked for at the middle size (0.05 of the keys), for every policy at once,
  // and equal what `cachelab replay --classes` prints.
  const cli = JSON.parse(execFileSync('cargo', ['run', '--quiet', '--', 'replay', 'www/traces/cloudphysics.csv',
    '--policy', 'lru,sieve,belady', '--size', '0.05', '--classes', '--json'], { cwd: ROOT }));
  assert.deepEqual(report.classes, cli.rows);
  for (const row of report.classes) {
    assert.equal(row.compulsory_misses + row.capacity_misses + row.policy_misses, row.misses);
  }
  assert.equal(await page.locator('svg.miss-classes rect[data-policy="belady"][data-class="policy"]').getAttribute('width'), '0');
  assert.equal(await page.locator('svg.miss-classes rect[data-class="compulsory"]').count(), 3);
  await page.screenshot({ path: join(SHOTS, 'eviction-miss-classes.png'), fullPage: true });
  assert.deepEqual(errors, []);
});
