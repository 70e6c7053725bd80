// How the page starts (issue 21): the first lesson waits for no module it does not use, a
// scenario lesson loads the one scenario module that runs its scenario, the keys and
// inside-a-policy panels start when their lesson opens, a lesson known from the address loads
// its module beside `basics` (before the course is listed), workers start only when used, a
// page-only lesson's probe waits for the lesson's run, and the eviction lesson draws its chart as
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

/**
 * Records, in the page, each worker the page starts and each call posted to one:
 * `window.posted` = [{worker, fn, state}] (the page's state when the call was posted).
 */
function recordCalls(page) {
  return page.addInitScript(() => {
    window.posted = [];
    let workers = 0;
    window.Worker = class extends window.Worker {
      #n = ++workers;
      postMessage(message, ...rest) {
        window.posted.push({ worker: this.#n, fn: message?.fn, state: document.body?.dataset.state });
        return super.postMessage(message, ...rest);
      }
    };
  });
}

/**
 * Opens `query` with `basics`' wasm held back until the page has asked for a URL matching `wanted`
 * (a module's wasm, a trace) or 10 s have passed; resolves to whether it asked for it while
 * `basics` was held, that is before the course could be listed.
 */
async function askedBesideBasics(query, wanted) {
  const page = await env.browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  let asked;
  const askedFor = new Promise((r) => (asked = r));
  const context = page.context();
  context.on('request', (r) => wanted.test(r.url()) && asked(true));
  await context.route(/\/basics_bg\.wasm$/, async (route) => {
    await Promise.race([askedFor, new Promise((r) => setTimeout(r, 10_000))]);
    await route.continue();
  });
  await page.goto(`${env.server.url}${query}`);
  const early = await Promise.race([askedFor, new Promise((r) => setTimeout(() => r(false), 10_000))]);
  await settled(page);
  assert.deepEqual(errors, []);
  await page.close();
  return early;
}

test('start-up: the console (the first lesson) loads its module beside basics, before the course is listed', async () => {
  assert.equal(await askedBesideBasics('', /\/console_bg\.wasm$/), true);
  assert.equal(await askedBesideBasics('?lesson=console', /\/console_bg\.wasm$/), true);
});

test("start-up: a link to the eviction lesson loads the replays' module and the bundled trace beside basics", async () => {
  assert.equal(await askedBesideBasics('?lesson=eviction&policies=lru,fifo&sizes=0.01', /\/traces_bg\.wasm$/), true);
  assert.equal(await askedBesideBasics('?lesson=eviction&policies=lru,fifo&sizes=0.01', /\/cloudphysics[^/]*\.csv/), true);
});

test("start-up: the console starts two workers, and its probe runs in the console's own once the model is up", async () => {
  const page = await env.browser.newPage();
  await recordCalls(page);
  await page.goto(env.server.url);
  await page.waitForFunction(() => document.getElementById('console-clock')?.textContent.startsWith('simulated time'));
  await page.waitForFunction(() => window.posted.some((c) => c.fn === 'lessonEvaluate'));
  const posted = await page.evaluate(() => window.posted);
  const workerOf = (fn) => posted.find((c) => c.fn === fn)?.worker;
  // The lessons' worker (basics) and the console's; the checks' and the inside panel's not yet.
  assert.deepEqual([...new Set(posted.map((c) => c.worker))].sort(), [workerOf('lessons'), workerOf('new Console')].sort(), JSON.stringify(posted));
  assert.notEqual(workerOf('lessons'), workerOf('new Console'));
  assert.equal(workerOf('consoleProbe'), workerOf('new Console'), 'the probe runs beside the console model, whose module is loaded there');
  // After the model and the calls that show its clock (what the learner waits for).
  const at = (fn) => posted.findIndex((c) => c.fn === fn);
  assert.ok(at('consoleProbe') > at('new Console') && at('consoleProbe') > posted.findIndex((c) => /\.now_ms$/.test(c.fn ?? '')), JSON.stringify(posted));
  await page.close();
});

test("eviction: the lesson's probe (its answers) is asked for once its run is over", async () => {
  const page = await env.browser.newPage();
  await recordCalls(page);
  await page.goto(`${env.server.url}?lesson=eviction&policies=lru,fifo&sizes=0.01`);
  await page.waitForFunction(() => window.posted.some((c) => c.fn === 'traceProbe'), null, { timeout: 30_000 });
  const posted = await page.evaluate(() => window.posted);
  const probe = posted.findIndex((c) => c.fn === 'traceProbe');
  assert.ok(posted.findIndex((c) => c.fn === 'replayTrace') < probe, JSON.stringify(posted));
  assert.notEqual(posted[probe].state, 'running', JSON.stringify(posted[probe]));
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

/**
 * Records each time the charts are drawn: `window.draws` = [{running, labels}], whether the run
 * was still going and the series the first chart's legend names.
 */
function recordDraws(page) {
  return page.addInitScript(() => {
    window.draws = [];
    new MutationObserver(() => {
      const legend = document.querySelector('#charts .u-legend');
      if (!legend || legend === window.lastLegend) return;
      window.lastLegend = legend;
      const labels = [...legend.querySelectorAll('.u-series .u-label')].map((l) => l.textContent);
      window.draws.push({ running: document.body.dataset.state === 'running', labels });
    }).observe(document, { childList: true, subtree: true });
  });
}

/** The series the first chart's legend names. */
const legendLabels = (page) => page.$$eval('#charts .u-legend:first-of-type .u-series .u-label', (ls) => ls.map((l) => l.textContent));

/** Arms Cancel to be clicked as soon as a partial chart is drawn (a legend while running). */
const cancelAtFirstChart = (page) => page.evaluate(() => {
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

/**
 * Opens `url` (a run starts at once), checks that its chart was first drawn while the run went
 * on, with fewer series than at the end, and that the last chart names every one of `all`.
 */
async function growingChart(url, all) {
  const page = await env.browser.newPage();
  await recordDraws(page);
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(url);
  await settled(page);
  const draws = await page.evaluate(() => window.draws);
  assert.ok(draws.length >= 2, JSON.stringify(draws));
  assert.equal(draws[0].running, true, 'the first chart came before the run ended');
  assert.ok(draws[0].labels.length < draws.at(-1).labels.length, JSON.stringify(draws));
  for (const p of all) assert.ok(draws.at(-1).labels.includes(p), p);
  assert.equal(await page.evaluate(() => document.body.dataset.state), 'ready');
  assert.deepEqual(errors, []);
  return page;
}

/** Runs `url`'s lesson again, cancelled at its first partial chart: the last complete run is back. */
async function cancelledAfterPartialChart(url) {
  const page = await env.browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(url);
  await settled(page);
  const complete = await legendLabels(page);
  const table = await page.textContent('#table');
  await cancelAtFirstChart(page);
  await page.click('#run');
  await page.waitForFunction(() => document.body.dataset.state === 'cancelled');
  assert.ok((await page.evaluate(() => window.cancelledAt)).length < complete.length, 'cancelled on a partial chart');
  // The last complete run is back, chart and table.
  assert.deepEqual(await legendLabels(page), complete);
  assert.equal(await page.textContent('#table'), table);
  assert.equal(await page.$eval('#results', (r) => r.hidden), false);
  assert.deepEqual(errors, []);
  // Run again: the complete chart, every series.
  await page.click('#run');
  await settled(page);
  assert.equal(await page.evaluate(() => document.body.dataset.state), 'ready');
  assert.deepEqual(await legendLabels(page), complete);
  await page.close();
}

const EVICTION = '?lesson=eviction&policies=lru,fifo,sieve&sizes=0.01,0.1';
const DEGRADATION = '?lesson=degradation';

test('eviction: the chart is drawn while the run goes on, then again with every policy', async () => {
  const page = await growingChart(`${env.server.url}${EVICTION}`, ['lru', 'fifo', 'sieve']);
  await page.close();
});

test('eviction: a run cancelled after its first policies leaves no partial chart behind', async () => {
  await cancelledAfterPartialChart(`${env.server.url}${EVICTION}`);
});

test("a scenario lesson's chart is drawn as its first variants finish, and its report is a single run's", async () => {
  const page = await growingChart(`${env.server.url}${DEGRADATION}`, ['fail-open', 'short-timeout', 'circuit-breaker', 'fail-closed']);
  // The same scenario, parameters and seed in one call, in a worker of the test's own.
  const [shown, whole] = await page.evaluate(async () => {
    const params = Object.fromEntries([...document.querySelectorAll('#fields input')].map((i) => [i.name, i.value.trim()]));
    const worker = new Worker(new URL('www/worker.js', location.href), { type: 'module' });
    const report = await new Promise((resolve) => {
      worker.onmessage = ({ data }) => data.progress === undefined && resolve(data.ok ? data.result : data.error);
      worker.postMessage({ id: 1, fn: 'scenarioStart', args: ['degradation', params, BigInt(document.getElementById('seed').value)] });
    });
    worker.terminate();
    return [JSON.stringify(window.cachelabLastReport), JSON.stringify(report)];
  });
  assert.equal(shown, whole);
  await page.close();
});

test('a scenario run cancelled after its first variants leaves no partial chart behind; run again, it is complete', async () => {
  await cancelledAfterPartialChart(`${env.server.url}${DEGRADATION}`);
});
