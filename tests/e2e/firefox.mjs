// The page's smoke set (tests/e2e/smoke.mjs) in headless Firefox, on the built site (`make site`)
// served under a sub-path: every lesson loads, runs and draws, the console answers, and Firefox
// logs no error. Chromium runs the full suite; this keeps the page honest in a second engine.
// Not named *.test.mjs: `node --test tests/e2e/` (Chromium) skips it; scripts/test.sh runs it as
//   node --experimental-websocket --test tests/e2e/firefox.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { serve, ROOT } from './harness.mjs';
import { lessonIds, smokeLesson } from './smoke.mjs';
import { firefox } from './webdriver.mjs';

const DIST = join(ROOT, 'dist');
let server, browser, lessons;
before(async () => {
  assert.ok(existsSync(join(DIST, 'index.html')), 'dist/ is missing: run `make site` first');
  server = await serve({ root: DIST, prefix: '/cachelab/', asHost: true });
  browser = await firefox();
  lessons = await lessonIds(browser, server.url);
});
after(async () => {
  await browser?.close();
  await server?.close();
});

test('Firefox: every lesson of the built site loads, runs and draws; the console answers; no errors', async () => {
  assert.ok(lessons.length >= 10, `lessons: ${lessons}`);
  for (const id of lessons) await smokeLesson(browser, server.url, id);
  assert.deepEqual(browser.errors, []);
});
