// The page's smoke set, for any browser driver: every lesson loads, runs and draws its chart, the
// Redis console answers, and nothing logs an error. Chromium runs it through Playwright (on the
// built site, online and offline: site.test.mjs), Firefox through WebDriver (firefox.mjs).
//
// A driver is {goto(url), evaluate(fn, arg), waitFor(fn, arg, timeoutMs)}: `fn` runs in the page
// and must stand alone (it is sent as text).
import assert from 'node:assert/strict';

// Short runs per lesson (their defaults are longer); a lesson not named here runs its defaults.
const QUICK = {
  capacity: { keys: '2000', requests: '30000', points: '6' },
  eviction: { policies: 'lru,sieve,s3fifo', sizes: '0.01,0.1' },
  layers: { duration_s: '4', rate: '1000' },
  'response-cache': { duration_s: '4', rate: '100' },
  ratelimit: { duration_s: '60' },
  tags: { duration_s: '30' },
  keys: { duration_s: '10' },
  'query-cache': { duration_s: '10' },
  consistency: { duration_s: '8', rate: '1000' }, // its crash comes at 5 s
  ...Object.fromEntries(['stampede', 'avalanche', 'penetration', 'schema-deploy', 'multilayer'].map((l) => [l, { duration_s: '4', rate: '1000' }])),
};

const settled = () => ['ready', 'error', 'cancelled'].includes(document.body.dataset.state);

/** The lesson ids of the page at `url`, from its navigation. */
export async function lessonIds(driver, url) {
  await driver.goto(url);
  await driver.waitFor(() => document.querySelectorAll('#lessons button').length > 0 && ['ready', 'error', 'cancelled'].includes(document.body.dataset.state), null, 60_000);
  return driver.evaluate(() => [...document.querySelectorAll('#lessons button')].map((b) => b.dataset.lesson));
}

/** Opens lesson `id` at `url` (the page's address) and checks that it runs and draws. */
export async function smokeLesson(driver, url, id) {
  await driver.goto(`${url}?${new URLSearchParams({ lesson: id, ...QUICK[id] })}`);
  await driver.waitFor(settled, null, 120_000);
  const state = await driver.evaluate(() => ({ state: document.body.dataset.state, status: document.getElementById('status').textContent, title: document.getElementById('lesson-title').textContent, canvases: document.querySelectorAll('#charts canvas').length }));
  assert.equal(state.state, 'ready', `lesson ${id}: ${state.status}`);
  assert.ok(state.title, `lesson ${id} has a title`);
  if (id === 'console') return smokeConsole(driver);
  if (id === 'inside') return smokeInside(driver);
  assert.ok(state.canvases >= 1, `lesson ${id} draws a chart`);
}

/** Sends `line` to the console and resolves to its reply. */
async function consoleLine(driver, line) {
  const before = await driver.evaluate(() => document.querySelectorAll('#console-output .reply').length);
  await driver.evaluate((text) => {
    document.getElementById('console-input').value = text;
    document.getElementById('console-form').requestSubmit();
  }, line);
  await driver.waitFor((n) => document.querySelectorAll('#console-output .reply').length > n, before, 10_000);
  return driver.evaluate(() => [...document.querySelectorAll('#console-output .reply')].at(-1).textContent);
}

/** "Inside a policy" draws the policy's structures (SVG), not a chart. */
async function smokeInside(driver) {
  await driver.waitFor(() => document.querySelectorAll('.state svg').length > 0, null, 30_000);
}

async function smokeConsole(driver) {
  // The model is made, and a session saved in the tab replayed into it, when the console is first
  // shown; its clock shows once that is done. A reply counted before would be a replayed one.
  await driver.waitFor(() => document.getElementById('console-clock').textContent !== '', null, 30_000);
  assert.equal(await consoleLine(driver, 'SET greeting hello EX 10'), 'OK');
  assert.equal(await consoleLine(driver, 'GET greeting'), '"hello"');
  assert.match(await consoleLine(driver, 'TTL greeting'), /10/);
}
