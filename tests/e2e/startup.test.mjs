// How the page starts (issue 21): the first lesson waits for no module it does not use, a
// scenario lesson loads the one scenario module that runs its scenario, the keys and
// inside-a-policy panels start when their lesson opens, and the eviction lesson draws its chart as
// its first policies finish, not after the whole run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { servedBrowser, open, settled } from './harness.mjs';
import { MODULES } from '../../www/pkg/modules.js';

const env = servedBrowser();

/** Opens `query` and lists the wasm modules the page (and its workers) fetched by then. */
async function modulesFetched(query, until) {
  const page = await env.browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  const wasm = new Set();
  page.context().on('request', (r) => {
    const name = r.url().match(/\/(\w+)_bg\.wasm$/)?.[1];
    if (name) wasm.add(name);
  });
  await page.goto(`${env.server.url}${query}`);
  await until(page);
  return { page, errors, wasm };
}

test('start-up: the first lesson (the console) loads the lists and the console, not the scenarios', async () => {
  const { page, errors, wasm } = await modulesFetched('', async (p) => {
    await settled(p);
    await p.fill('#console-input', 'PING');
    await p.press('#console-input', 'Enter');
    await p.waitForFunction(() => document.getElementById('console-output').textContent.includes('PONG'));
  });
  assert.equal(await page.textContent('#lesson-title'), 'Redis console');
  assert.deepEqual([...wasm].sort(), ['basics', 'console']);
  // Every lesson is listed all the same, in course order.
  assert.ok((await page.$$eval('#lesson-select option', (o) => o.length)) >= 20);
  assert.deepEqual(errors, []);
  await page.close();
});

/** The name of the module that runs scenario `name` (www/pkg/modules.js). */
const runsScenario = (name) => MODULES.find((m) => m.scenarios?.includes(name)).name;
/** The scenario modules among the modules fetched. */
const scenarioModules = (wasm) => [...wasm].filter((n) => MODULES.find((m) => m.name === n)?.scenarios).sort();

test('start-up: a scenario lesson loads the one scenario module that runs its scenario', async () => {
  // The course's last scenario lesson, whose scenario is in a module of its own (not the first).
  const { page, errors, wasm } = await modulesFetched('?lesson=ratelimit', settled);
  assert.equal(await page.evaluate(() => document.body.dataset.state), 'ready');
  assert.notEqual(runsScenario('ratelimit'), MODULES.find((m) => m.scenarios).name);
  assert.deepEqual(scenarioModules(wasm), [runsScenario('ratelimit')]);
  assert.deepEqual(errors, []);
  await page.close();
});

test('start-up: the keys panel starts when its lesson opens, and answers', async () => {
  const { page, errors, wasm } = await modulesFetched('?lesson=keys', async (p) => {
    await settled(p);
    await p.waitForFunction(() => document.querySelector('#keys-widget p.hint')?.textContent.startsWith('Functions:'));
    await p.waitForFunction(() => document.querySelectorAll('#keys-table tr').length > 1);
  });
  // The keys lesson's functions and its scenario come with the one module that runs `keys`.
  assert.deepEqual(scenarioModules(wasm), [runsScenario('keys')]);
  assert.equal(await page.$eval('#keys-widget', (w) => w.hidden), false);
  assert.deepEqual(errors, []);
  await page.close();
});

test('eviction: the chart is drawn while the run goes on, then again with every policy', async () => {
  const page = await env.browser.newPage();
  // Each time the charts are drawn: whether the run was still going and how many policies the
  // first chart's legend names.
  await page.addInitScript(() => {
    window.draws = [];
    new MutationObserver(() => {
      const legend = document.querySelector('#charts .u-legend');
      if (!legend || legend === window.lastLegend) return;
      window.lastLegend = legend;
      const labels = [...legend.querySelectorAll('.u-series .u-label')].map((l) => l.textContent);
      window.draws.push({ running: document.body.dataset.state === 'running', labels });
    }).observe(document, { childList: true, subtree: true });
  });
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`${env.server.url}?lesson=eviction&policies=lru,fifo,sieve&sizes=0.01,0.1`);
  await settled(page);
  const draws = await page.evaluate(() => window.draws);
  assert.ok(draws.length >= 2, JSON.stringify(draws));
  assert.equal(draws[0].running, true, 'the first chart came before the run ended');
  assert.ok(draws[0].labels.length < draws.at(-1).labels.length, JSON.stringify(draws));
  for (const p of ['lru', 'fifo', 'sieve']) assert.ok(draws.at(-1).labels.includes(p), p);
  assert.equal(await page.evaluate(() => document.body.dataset.state), 'ready');
  assert.deepEqual(errors, []);
  await page.close();
});

test('eviction: a run cancelled after its first policies leaves no partial chart behind', async () => {
  const page = await env.browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  const url = `${env.server.url}?lesson=eviction&policies=lru,fifo,sieve&sizes=0.01,0.1`;
  // Cancels the run as soon as its first partial chart is drawn (a legend while running).
  const cancelAtFirstChart = () => page.evaluate(() => {
    window.cancelledAt = null;
    const seen = new MutationObserver(() => {
      if (document.body.dataset.state !== 'running' || !document.querySelector('#charts .u-legend')) return;
      seen.disconnect();
      window.cancelledAt = [...document.querySelectorAll('#charts .u-legend .u-series .u-label')].map((l) => l.textContent);
      // A task later, when the sweep has handed the lesson's worker its next call (Cancel stops
      // the calls in flight).
      setTimeout(() => document.getElementById('cancel').click());
    });
    seen.observe(document.getElementById('charts'), { childList: true, subtree: true });
  });
  const labels = () => page.$$eval('#charts .u-legend:first-of-type .u-series .u-label', (ls) => ls.map((l) => l.textContent));
  await page.goto(url);
  await settled(page);
  const complete = await labels();
  const table = await page.textContent('#table');
  await cancelAtFirstChart();
  await page.click('#run');
  await page.waitForFunction(() => document.body.dataset.state === 'cancelled');
  assert.ok((await page.evaluate(() => window.cancelledAt)).length < complete.length, 'cancelled on a partial chart');
  // The last complete run is back, chart and table.
  assert.deepEqual(await labels(), complete);
  assert.equal(await page.textContent('#table'), table);
  assert.equal(await page.$eval('#results', (r) => r.hidden), false);
  assert.deepEqual(errors, []);
  await page.close();
});
