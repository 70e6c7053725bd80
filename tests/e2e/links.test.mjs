// Links, history and errors (issue 17): the address bar follows the fields, each lesson is a
// history entry, every bad value of a link is named, the request budget is shown before a run,
// fields in error carry aria-invalid, and the skip link passes the lesson navigation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { servedBrowser, open, settled, ROOT } from './harness.mjs';

const env = servedBrowser();

const query = (page) => page.evaluate(() => Object.fromEntries(new URLSearchParams(location.search)));

/** Waits until the page shows lesson `title` and its first run has ended. */
async function shows(page, title) {
  await page.waitForFunction((t) => document.getElementById('lesson-title').textContent === t && document.body.dataset.state !== 'running', title);
  await settled(page);
}

test('the address bar follows an edit before any run, and the results are marked out of date', async () => {
  const { page, errors } = await open(env.browser, `${env.server.url}?lesson=stampede`);
  await settled(page);
  assert.equal(await page.locator('#stale-note').isHidden(), true);
  await page.fill('#p-rate', '321');
  assert.equal((await query(page)).rate, '321');
  assert.equal((await query(page)).lesson, 'stampede');
  assert.equal(await page.locator('#stale-note').isVisible(), true);
  assert.equal(await page.evaluate(() => document.getElementById('results').classList.contains('stale')), true);
  await page.click('#run');
  await page.waitForFunction(() => document.body.dataset.state === 'running' || document.getElementById('stale-note').hidden);
  await settled(page);
  assert.equal(await page.locator('#stale-note').isHidden(), true);
  assert.deepEqual(errors, []);
});

test('switching lessons pushes a history entry; Back and Forward keep unrun edits', async () => {
  const { page, errors } = await open(env.browser, `${env.server.url}?lesson=stampede`);
  await settled(page);
  await page.fill('#p-rate', '123');
  await page.click('#lessons button[data-lesson="avalanche"]');
  await shows(page, await page.locator('#lessons button[data-lesson="avalanche"]').getAttribute('title'));
  await page.fill('#p-keys', '777');
  assert.equal((await query(page)).keys, '777');
  await page.goBack();
  await page.waitForFunction(() => new URLSearchParams(location.search).get('lesson') === 'stampede');
  await shows(page, await page.locator('#lessons button[data-lesson="stampede"]').getAttribute('title'));
  assert.equal(await page.inputValue('#p-rate'), '123');
  await page.goForward();
  await page.waitForFunction(() => new URLSearchParams(location.search).get('lesson') === 'avalanche');
  await shows(page, await page.locator('#lessons button[data-lesson="avalanche"]').getAttribute('title'));
  assert.equal(await page.inputValue('#p-keys'), '777');
  assert.deepEqual(errors, []);
});

test('every bad value in a link is named with its field', async () => {
  const { page, errors } = await open(env.browser, `${env.server.url}?lesson=stampede&rate=abc&seed=abc&colour=red`);
  await settled(page);
  const notice = await page.locator('#notice').textContent();
  assert.match(notice, /rate=abc is not allowed \(a number from [\d.e+]+ to [\d.e+]+; the default [\d.]+ is used\)/);
  assert.match(notice, /seed=abc is not allowed \(a whole number from 0 to 18446744073709551615; seed 1 is used\)/);
  assert.match(notice, /colour=red is not a setting of this lesson/);
  mkdirSync(join(ROOT, 'target'), { recursive: true });
  await page.screenshot({ path: join(ROOT, 'target', 'links-bad-values.png') });

  const { page: other } = await open(env.browser, `${env.server.url}?lesson=stampedes&rate=5`);
  await settled(other);
  assert.match(await other.locator('#notice').textContent(), /lesson=stampedes is an unknown lesson/);
  assert.deepEqual(errors, []);
});

test('a typed seed that is not a number is named and marked, not run as seed 0', async () => {
  const { page, errors } = await open(env.browser, `${env.server.url}?lesson=stampede`);
  await settled(page);
  await page.fill('#seed', 'abc');
  await page.click('#run');
  await page.waitForFunction(() => document.body.dataset.state === 'error');
  assert.match(await page.locator('#e-seed').textContent(), /seed “abc” is not allowed/);
  assert.equal(await page.getAttribute('#seed', 'aria-invalid'), 'true');
  const outline = await page.evaluate(() => getComputedStyle(document.getElementById('seed')).outlineStyle);
  assert.equal(outline, 'solid');
  // The core's message for a knob marks that knob.
  await page.fill('#seed', '1');
  await page.fill('#p-rate', '');
  await page.click('#run');
  await page.waitForFunction(() => document.body.dataset.state === 'error');
  assert.equal(await page.getAttribute('#p-rate', 'aria-invalid'), 'true');
  assert.equal(await page.getAttribute('#seed', 'aria-invalid'), null);
  assert.deepEqual(errors, []);
});

test('rate × duration_s over the budget names both fields before the run', async () => {
  const { page, errors } = await open(env.browser, `${env.server.url}?lesson=stampede`);
  await settled(page);
  assert.match(await page.locator('#budget').textContent(), /budget 5,000,000 per variant/);
  await page.fill('#p-rate', '100000');
  await page.fill('#p-duration_s', '600');
  await page.waitForFunction(() => document.getElementById('budget').classList.contains('error'));
  const text = await page.locator('#budget').textContent();
  assert.match(text, /rate × duration_s is too large: up to [\d,]+ requests, over the budget of 5,000,000/);
  assert.equal(await page.getAttribute('#p-rate', 'aria-invalid'), 'true');
  assert.equal(await page.getAttribute('#p-duration_s', 'aria-invalid'), 'true');
  await page.fill('#p-rate', '100');
  await page.waitForFunction(() => !document.getElementById('budget').classList.contains('error'));
  assert.equal(await page.getAttribute('#p-rate', 'aria-invalid'), null);
  assert.deepEqual(errors, []);
});

test('the skip link passes the navigation; only the status line is live; Cancel keeps focus on the form', async () => {
  const { page, errors } = await open(env.browser, `${env.server.url}?lesson=stampede`);
  await settled(page);
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'skip-link');
  await page.keyboard.press('Enter');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'lesson-title');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.closest('nav')), null);
  // The lesson is not one live region; the form's only live region is its status line.
  assert.equal(await page.getAttribute('#lesson', 'aria-live'), null);
  assert.equal(await page.locator('#knobs [aria-live]').count(), 0);
  assert.equal(await page.getAttribute('#status', 'role'), 'status');
  // A long run (within the request budget), cancelled from the keyboard.
  await page.fill('#p-duration_s', '400');
  await page.click('#run');
  await page.waitForSelector('#cancel:not([hidden])');
  await page.focus('#cancel');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.body.dataset.state === 'cancelled');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'run');
  assert.deepEqual(errors, []);
});

test('table cells keep a number and its unit on one line; legends show no "--"', async () => {
  const { page, errors } = await open(env.browser, `${env.server.url}?lesson=stampede`);
  await settled(page);
  assert.equal(await page.evaluate(() => getComputedStyle(document.querySelector('#table td')).whiteSpace), 'nowrap');
  const legend = await page.evaluate(() => [...document.querySelectorAll('.u-legend .u-value')].map((e) => e.textContent));
  assert.ok(legend.length > 0);
  assert.ok(!legend.includes('--'), `legend: ${legend}`);
  assert.deepEqual(errors, []);
});

test("at 1366×900 the landing page, the course's first lesson, shows its question without scrolling", async () => {
  const page = await env.browser.newPage({ viewport: { width: 1366, height: 900 } });
  await page.goto(env.server.url);
  await page.locator('#console-input').waitFor({ state: 'visible' });
  const bottom = await page.evaluate(() => document.getElementById('question').getBoundingClientRect().bottom);
  assert.ok(bottom <= 900, `the question ends at ${bottom}px`);
  await page.screenshot({ path: join(ROOT, 'target', 'landing-1366x900.png') });
  await page.close();
});
