// The built site (`make site`, dist/) as a teacher publishes it: served under a sub-path with
// precompressed files, its optimised wasm module gives the golden numbers in Node and in
// Chromium, every lesson runs, every lesson still runs with the network cut after the first visit
// (the service worker), and an embedded lesson drops the course's navigation.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { serve, launch, ROOT } from './harness.mjs';
import { goldenCases, runGoldens } from './golden.mjs';
import { lessonIds, smokeLesson } from './smoke.mjs';

const DIST = join(ROOT, 'dist');
const files = (dir) => readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? files(join(dir, f)) : [join(dir, f)]));
const find = (re) => {
  const found = files(DIST).filter((f) => re.test(relative(DIST, f)));
  assert.equal(found.length, 1, `one file in dist/ matching ${re}: ${found}`);
  return found[0];
};

let server, browser;
before(async () => {
  assert.ok(existsSync(join(DIST, 'index.html')), 'dist/ is missing: run `make site` first');
  server = await serve({ root: DIST, prefix: '/cachelab/', asHost: true });
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await server?.close();
});

/** Playwright's page as a smoke-set driver, collecting console errors and uncaught exceptions. */
function driverFor(page) {
  const errors = [];
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  page.on('pageerror', (e) => errors.push(String(e)));
  return {
    errors,
    goto: (url) => page.goto(url),
    evaluate: (fn, arg) => page.evaluate(fn, arg),
    waitFor: (fn, arg, timeout) => page.waitForFunction(fn, arg, { timeout }),
  };
}

// The wasm modules (scripts/wasm.sh) and the most each may weigh gzipped. The first lesson loads
// only `basics`; the others come when a lesson needs them (www/worker.js). One module of 590 KB
// (issue 21's target: 250 KB) was split in four (93, 409, 179 and 154 KB then). Then the course's
// lesson files, their parser and the glossary joined `basics` (192 KB: the page lists the course at
// start), and five scenarios and the chapter's variants joined `scenarios` (513 KB). Built for size
// (scripts/wasm.sh: the `wasm` profile for basics and console, `wasm-s` for scenarios, whose runs
// a learner waits for) they weigh 176, 422, 135 and 155 KB; then the course's probes and experiment
// claims, every scenario's fault knobs, the streamed replay and its sampled LRU curve took them to
// 189, 432, 143 and 189 KB. Then `scenarios` was split by runs of lessons, one module each (the
// registry line of a scenario names its module), each with its own copy of the core: 296, 274,
// 307 and 283 KB. Then the strategies reached only the L2 commands they send, every report went to
// JS through serde_json alone, and sorts and small maps shared their code: basics 187, the scenario
// modules 225, 209, 235 and 214, console 143 and traces 190 KB, all under issue 21's 250 KB. Each
// guard stands about 2 % above today's size, so that growth is noticed and weighed; the scenario
// modules' guards also stay at or under 250 KB.
const MODULE_LIMITS = { basics: 191_000, scenarios1: 230_000, scenarios2: 213_500, scenarios3: 239_500, scenarios4: 218_500, console: 146_300, traces: 193_500 };
const glue = (name) => find(new RegExp(`^www/pkg/${name}\\.[0-9a-f]{12}\\.js$`));
const wasmOf = (name) => find(new RegExp(`^www/pkg/${name}_bg\\.[0-9a-f]{12}\\.wasm$`));

/** The site's modules.js: the page's modules, each scenario module with the scenarios it runs. */
const siteModules = async () => (await import(pathToFileURL(find(/^www\/pkg\/modules\.[0-9a-f]{12}\.js$/)))).MODULES;

/** A site module, initialised in Node. */
async function nodeModule(name) {
  const module = await import(pathToFileURL(glue(name)));
  module.initSync({ module: readFileSync(wasmOf(name)) });
  return module;
}

test('dist/ is self-contained: hashed modules and wasm, precompressed copies, relative references only', () => {
  find(/^www\/pkg\/modules\.[0-9a-f]{12}\.js$/);
  find(/^www\/traces\/cloudphysics\.[0-9a-f]{12}\.csv\.gz$/);
  const shipped = files(DIST).filter((f) => f.endsWith('.wasm')).map((f) => relative(DIST, f).replace(/^www\/pkg\/(\w+)_bg\..*/, '$1'));
  assert.deepEqual(shipped.sort(), Object.keys(MODULE_LIMITS).sort(), "the site ships the page's wasm modules, each once");
  for (const [name, limit] of Object.entries(MODULE_LIMITS)) {
    const wasm = wasmOf(name);
    glue(name);
    assert.ok(existsSync(`${wasm}.gz`) && existsSync(`${wasm}.br`), `${wasm} has .gz and .br copies`);
    const gz = gzipSync(readFileSync(wasm), { level: 9 }).length;
    assert.ok(gz <= limit, `the gzipped ${name} module is ${gz} bytes, above ${limit}`);
  }
  const index = join(DIST, 'index.html');
  assert.ok(existsSync(`${index}.gz`) && existsSync(`${index}.br`), 'index.html has .gz and .br copies');
  for (const f of files(DIST).filter((f) => /\.(html|js|css)$/.test(f))) {
    const text = readFileSync(f, 'utf8');
    assert.doesNotMatch(text, /node_modules\/|\btarget\/|(src|href)="\//, `${relative(DIST, f)} refers outside the site or by absolute path`);
  }
});

test('every scenario runs in exactly one module, which holds no other module\'s scenario', async () => {
  const modules = await siteModules();
  const groups = modules.filter((m) => m.scenarios);
  assert.ok(groups.length >= 2, 'the scenarios come in several modules');
  // Every scenario the page lists (from `basics`, which lists them all) runs in one module.
  const listed = (await nodeModule('basics')).scenarios();
  assert.deepEqual(groups.flatMap((m) => m.scenarios).sort(), listed.map((s) => s.name).sort());
  for (const group of groups) {
    const core = await nodeModule(group.name);
    assert.deepEqual(core.scenarioNames(), group.scenarios, `${group.name} runs what modules.js says`);
    // A scenario's description is in the module that runs it and in no other: the linker
    // dropped the other scenarios with everything only they reach.
    const bytes = readFileSync(wasmOf(group.name));
    for (const { name, about } of listed) {
      const mine = group.scenarios.includes(name);
      assert.equal(bytes.includes(Buffer.from(about)), mine, `${group.name} ${mine ? 'holds' : 'does not hold'} ${name}'s text`);
      if (!mine) assert.throws(() => core.runScenarioJson(name, {}, 1n), /unknown scenario/, `${group.name} does not run ${name}`);
    }
    // The keys lesson's functions come with the module that runs `keys`.
    for (const fn of ['keyFunctions', 'callKeysText']) assert.equal(group.exports.includes(fn), group.scenarios.includes('keys'), `${fn} in ${group.name}`);
  }
});

test('the optimised modules give the golden reports in Node, each scenario in its own module', async () => {
  const groups = (await siteModules()).filter((m) => m.scenarios);
  const byScenario = {};
  for (const group of groups) {
    const core = await nodeModule(group.name);
    for (const name of group.scenarios) byScenario[name] = core;
  }
  const runScenarioJson = (name, params, seed) => byScenario[name].runScenarioJson(name, params, seed);
  const results = runGoldens({ l1CurveJson: (await nodeModule('basics')).l1CurveJson, runScenarioJson }, goldenCases());
  assert.ok(results.length >= 10);
  for (const { file, actual, expected } of results) assert.equal(actual, expected, `${file} differs in the optimised module (Node)`);
});

test('the optimised modules give the golden reports in Chromium, each scenario in its own module', async () => {
  const page = await browser.newPage({ serviceWorkers: 'block' });
  await page.goto(server.url);
  const groups = (await siteModules()).filter((m) => m.scenarios).map((m) => ({ glue: relative(DIST, glue(m.name)), scenarios: m.scenarios }));
  // The same runGoldens as in Node (the page's CSP forbids eval, the DevTools protocol may define it).
  await page.evaluate(`window.runGoldens = ${runGoldens}`);
  const results = await page.evaluate(
    async ({ basicsGlue, groups, cases }) => {
      const basics = await import(new URL(basicsGlue, document.baseURI));
      await basics.default();
      const byScenario = {};
      for (const group of groups) {
        const core = await import(new URL(group.glue, document.baseURI));
        await core.default();
        for (const name of group.scenarios) byScenario[name] = core;
      }
      const runScenarioJson = (name, params, seed) => byScenario[name].runScenarioJson(name, params, seed);
      return window.runGoldens({ l1CurveJson: basics.l1CurveJson, runScenarioJson }, cases);
    },
    { basicsGlue: relative(DIST, glue('basics')), groups, cases: goldenCases() },
  );
  assert.ok(results.length >= 10);
  for (const { file, actual, expected } of results) assert.equal(actual, expected, `${file} differs in the optimised module (Chromium)`);
  await page.close();
});

test("index.html preloads the page's module graph (every module the page loads was asked for by a preload); the site is cached for offline use once the console is ready", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const driver = driverFor(page);
  // When the console's clock first shows, and when the page registers its service worker.
  await page.addInitScript(() => {
    const clock = new MutationObserver(() => {
      if (!document.getElementById('console-clock')?.textContent.startsWith('simulated time')) return;
      clock.disconnect();
      window.clockAt = performance.now();
    });
    clock.observe(document, { childList: true, subtree: true, characterData: true });
    const register = ServiceWorkerContainer.prototype.register;
    ServiceWorkerContainer.prototype.register = function (...args) {
      window.registeredAt = performance.now();
      return register.apply(this, args);
    };
  });
  await page.goto(server.url);
  await page.waitForFunction(() => window.clockAt && window.registeredAt);
  // Caching the site for offline use (every module, the sample traces) waits for the console.
  const { clockAt, registeredAt } = await page.evaluate(() => ({ clockAt: window.clockAt, registeredAt: window.registeredAt }));
  assert.ok(registeredAt >= clockAt, `the service worker was registered at ${registeredAt} ms, before the console was ready (${clockAt} ms)`);
  // Every module the page loaded (but its scripts and the workers' script) was preloaded, and
  // every preload was asked for before app.js had arrived: none waited for an import to be read.
  const entries = await page.evaluate(() => performance.getEntriesByType('resource')
    .filter((e) => /\.js$/.test(new URL(e.name).pathname))
    .map((e) => ({ file: new URL(e.name).pathname.split('/').pop(), start: e.startTime, end: e.responseEnd })));
  const html = readFileSync(join(DIST, 'index.html'), 'utf8');
  const named = (re) => [...html.matchAll(re)].map((m) => m[1].split('/').pop());
  const preloaded = named(/<link rel="modulepreload" href="([^"]+)">/g);
  const scripts = named(/<script type="module" src="([^"]+)">/g);
  assert.ok(preloaded.length >= 10, `preloads: ${preloaded}`);
  assert.deepEqual(scripts.map((s) => s.split('.')[0]), ['start', 'app']);
  const app = entries.find((e) => /^app\./.test(e.file));
  // The first time each file shows (a worker's own imports come after the page's).
  const first = [...new Map([...entries].reverse().map((e) => [e.file, e])).values()];
  for (const e of first.filter((e) => !scripts.includes(e.file) && !/^worker\./.test(e.file))) assert.ok(preloaded.includes(e.file), `${e.file} is loaded by the page but not preloaded`);
  for (const file of preloaded) {
    const e = entries.find((x) => x.file === file);
    assert.ok(e, `${file} is preloaded but the page never loads it`);
    assert.ok(e.start < app.end, `${file} was asked for at ${e.start} ms, after app.js arrived (${app.end} ms)`);
  }
  assert.deepEqual(driver.errors, []);
  await context.close();
});

test('served under /cachelab/, every lesson runs from the built site, and offline after the first visit', async () => {
  // A server of its own, stopped for the offline half.
  const host = await serve({ root: DIST, prefix: '/cachelab/', asHost: true });
  const context = await browser.newContext();
  const page = await context.newPage();
  const driver = driverFor(page);
  const requested = [];
  context.on('request', (r) => requested.push(r.url()));
  const lessons = await lessonIds(driver, host.url);
  assert.ok(lessons.length >= 10, `lessons: ${lessons}`);
  for (const id of lessons) await smokeLesson(driver, host.url, id);
  assert.ok(requested.every((u) => u.startsWith(host.url)), `every request stays under the site's path: ${requested.filter((u) => !u.startsWith(host.url))}`);

  // The service worker has cached the whole site by now; cut the network (and stop the server)
  // and go through every lesson again, each one a fresh navigation.
  const cached = await page.evaluate(async () => {
    const registration = await navigator.serviceWorker.ready;
    if (!navigator.serviceWorker.controller) await new Promise((r) => navigator.serviceWorker.addEventListener('controllerchange', r, { once: true }));
    const keys = await caches.keys();
    return { scope: registration.scope, keys, controlled: Boolean(navigator.serviceWorker.controller) };
  });
  assert.equal(cached.scope, host.url);
  assert.equal(cached.keys.length, 1, `one cache: ${cached.keys}`);
  assert.ok(cached.controlled);
  await context.setOffline(true);
  await host.close();
  for (const id of lessons) await smokeLesson(driver, host.url, id);
  assert.deepEqual(driver.errors, []);
  await context.close();
});

test('?embed=1 shows one lesson without the course navigation, with a link to the full playground', async () => {
  const context = await browser.newContext({ viewport: { width: 640, height: 900 }, serviceWorkers: 'block' });
  const page = await context.newPage();
  const driver = driverFor(page);
  await page.goto(`${server.url}?lesson=stampede&duration_s=4&rate=1000&embed=1`);
  await page.waitForFunction(() => document.body.dataset.state === 'ready', null, { timeout: 60_000 });
  assert.equal(await page.locator('header').isVisible(), false);
  assert.equal(await page.locator('#lessons').isVisible(), false);
  assert.equal(await page.locator('#notice').isVisible(), false, 'embed is not reported as an unknown setting');
  assert.match(page.url(), /[?&]embed=1/);
  const href = await page.locator('#open-full').getAttribute('href');
  const full = new URL(href, page.url());
  assert.equal(full.pathname, '/cachelab/');
  assert.equal(full.searchParams.get('lesson'), 'stampede');
  assert.equal(full.searchParams.get('rate'), '1000');
  assert.equal(full.searchParams.has('embed'), false);
  assert.equal(await page.locator('#open-full').getAttribute('target'), '_blank');
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the embedded lesson is ${overflow}px wider than its frame`);
  // A changed knob is carried into the link.
  await page.fill('#p-rate', '800');
  await page.click('#run');
  await page.waitForFunction(() => document.body.dataset.state === 'ready' && /rate=800/.test(location.search));
  assert.match(await page.locator('#open-full').getAttribute('href'), /rate=800/);
  assert.deepEqual(driver.errors, []);
  await context.close();
});

test('a new deploy replaces the cache once no tab uses the old version', async () => {
  // A copy of dist/ that can be "redeployed": the next version differs in sw.js (its version).
  const copy = mkdtempSync(join(tmpdir(), 'cachelab-site-'));
  cpSync(DIST, copy, { recursive: true });
  const host = await serve({ root: copy, prefix: '/cachelab/', asHost: true });
  const context = await browser.newContext();
  try {
    const keys = (page) =>
      page.evaluate(async () => {
        await navigator.serviceWorker.ready;
        if (!navigator.serviceWorker.controller) await new Promise((r) => navigator.serviceWorker.addEventListener('controllerchange', r, { once: true }));
        return caches.keys();
      });
    const first = await context.newPage();
    await first.goto(`${host.url}?lesson=capacity&requests=20000`);
    const before = await keys(first);
    assert.equal(before.length, 1);

    const sw = join(copy, 'sw.js');
    const version = /"version":"([0-9a-f]+)"/.exec(readFileSync(sw, 'utf8'))[1];
    writeFileSync(sw, readFileSync(sw, 'utf8').replace(`"version":"${version}"`, `"version":"${version}next"`));
    for (const stale of ['.gz', '.br']) rmSync(sw + stale);
    // The browser finds the new sw.js (as it does on a later visit), installs it, and lets it take
    // over when the last tab of the old version closes.
    await first.evaluate(async () => {
      const registration = await navigator.serviceWorker.getRegistration();
      await registration.update();
      const installing = registration.installing ?? registration.waiting;
      if (installing && installing.state !== 'installed') await new Promise((r) => installing.addEventListener('statechange', () => installing.state === 'installed' && r()));
    });
    assert.deepEqual(await keys(first), [...before, before[0].replace(version, `${version}next`)].sort(), 'the new version is cached beside the old one');
    await first.close();
    const second = await context.newPage();
    await second.goto(host.url);
    await second.waitForFunction(async () => (await caches.keys()).length === 1 && (await caches.keys())[0].endsWith('next'), null, { timeout: 30_000 });
    assert.deepEqual(await keys(second), [before[0].replace(version, `${version}next`)]);
  } finally {
    await context.close();
    await host.close();
    rmSync(copy, { recursive: true, force: true });
  }
});

test('`python3 -m http.server -d dist` serves a working playground', async () => {
  const port = await new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
  const python = spawn('python3', ['-m', 'http.server', '--bind', '127.0.0.1', '-d', DIST, String(port)], { stdio: 'ignore' });
  try {
    const url = `http://127.0.0.1:${port}/`;
    for (let i = 0; i < 100 && !(await fetch(url).then((r) => r.ok, () => false)); i++) await new Promise((r) => setTimeout(r, 100));
    const context = await browser.newContext({ serviceWorkers: 'block' });
    const driver = driverFor(await context.newPage());
    for (const id of ['capacity', 'eviction']) await smokeLesson(driver, url, id);
    assert.deepEqual(driver.errors, []);
    await context.close();
  } finally {
    python.kill();
  }
});
