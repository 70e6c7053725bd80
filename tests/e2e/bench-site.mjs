// The `site` case of `make bench`: the built site (dist/) served under a sub-path with its
// precompressed files, as a learner's first visit meets it in headless Chromium (a fresh profile:
// empty cache, no service worker yet). For the first lesson and for the eviction lesson (the
// bundled trace): the time from navigation to the lesson's first chart on screen, and the bytes
// transferred until then (headers and compressed bodies, the worker's requests included; a file
// the second worker finds in the HTTP cache counts nothing). The time until the run starts is
// printed too: what comes before is loading, what comes after is the core's computing. The
// course opens on the Redis console, which draws no chart: for it the time is until the console
// is ready for a command (its model is up and shows its simulated clock), and the first lesson with
// a chart (degradation, through its link, which runs at once) is timed to its chart.
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { serve, ROOT } from './harness.mjs';

const VISITS = 3;
// [name, query, what ends the visit ('chart' or 'console'), time target (ms), transfer target (B)]
const CASES = [
  ['first lesson (console)', '', 'console', 500, 400 * 1024],
  ['first chart (degradation)', '?lesson=degradation', 'chart', 500, 400 * 1024],
  ['eviction lesson', '?lesson=eviction', 'chart', 1000, null],
];

/**
 * One first visit to `url`: {running, ms, bytes, requests}: when the lesson's run started (the
 * core is loaded), when its first chart (`until` 'chart') or the console's clock (`until`
 * 'console') was painted, and the bytes transferred until then.
 */
async function visit(browser, url, until) {
  const context = await browser.newContext();
  const finished = [];
  context.on('requestfinished', (r) => finished.push(r));
  const page = await context.newPage();
  // Performance time counts from the navigation's start; a chart is uPlot's canvas, painted on
  // the animation frame after it is inserted.
  await page.addInitScript(() => {
    const seen = new MutationObserver(() => {
      if (!document.querySelector('#charts canvas')) return;
      seen.disconnect();
      requestAnimationFrame(() => (window.benchFirstChartMs = performance.now()));
    });
    seen.observe(document, { childList: true, subtree: true });
    const clock = new MutationObserver(() => {
      if (!document.getElementById('console-clock')?.textContent.startsWith('simulated time')) return;
      clock.disconnect();
      requestAnimationFrame(() => (window.benchConsoleMs = performance.now()));
    });
    clock.observe(document, { childList: true, subtree: true, characterData: true });
    // When the core is ready and the lesson's run starts: what comes before is loading.
    const started = new MutationObserver(() => {
      if (document.body?.dataset.state !== 'running') return;
      started.disconnect();
      window.benchRunningMs = performance.now();
    });
    started.observe(document, { attributes: true, subtree: true, attributeFilter: ['data-state'] });
  });
  await page.goto(url);
  const key = until === 'chart' ? 'benchFirstChartMs' : 'benchConsoleMs';
  await page.waitForFunction((k) => window[k], key, { timeout: 120_000 });
  const ms = await page.evaluate((k) => window[k], key);
  const running = await page.evaluate(() => window.benchRunningMs ?? NaN);
  const before = finished.slice();
  let bytes = 0;
  const requests = [];
  for (const r of before) {
    const s = await r.sizes();
    bytes += s.responseHeadersSize + s.responseBodySize;
    requests.push(`${r.url()} ${s.responseHeadersSize}+${s.responseBodySize}`);
  }
  await context.close();
  return { ms, running, bytes, requests };
}

/**
 * `dists`: the built sites to measure (by default dist/; with several, say the previous build and
 * this one, the visits take turns, one to each site, so that both meet the same load on a machine
 * whose load varies). `visits`: first visits per case and site; `only`: the cases whose name
 * contains it.
 */
export async function siteCase(browser, dists = [join(ROOT, 'dist')], visits = VISITS, only = '') {
  for (const dist of dists) if (!existsSync(join(dist, 'index.html'))) throw new Error(`${dist}/index.html is missing: run \`make site\` first`);
  const servers = await Promise.all(dists.map((root) => serve({ root, prefix: '/cachelab/', asHost: true })));
  try {
    console.log(`\nsite: ${dists.join(' and ')} under /cachelab/, precompressed, first visits in a fresh profile (${visits} each${dists.length > 1 ? ', taking turns' : ''})`);
    console.log(`${'case'.padEnd(28)} ${'run starts (ms)'.padEnd(18)} ${'chart/clock (ms)'.padEnd(18)} ${'median'.padStart(7)} ${'target'.padStart(7)} ${'transferred'.padStart(12)} ${'target'.padStart(8)}`);
    for (const [name, query, until, msTarget, byteTarget] of CASES.filter(([name]) => name.includes(only))) {
      const runs = dists.map(() => []);
      for (let i = 0; i < visits; i++) {
        for (const [d, server] of servers.entries()) runs[d].push(await visit(browser, server.url + query, until));
      }
      for (const [d, dist] of dists.entries()) {
        const sorted = runs[d].map((r) => r.ms).sort((a, b) => a - b);
        const median = sorted[Math.floor(visits / 2)];
        const kib = (n) => `${(n / 1024).toFixed(0)} KiB`;
        const bytes = runs[d][0].bytes;
        const list = (key) => runs[d].map((r) => (Number.isNaN(r[key]) ? '-' : Math.round(r[key]))).join(', ').padEnd(18);
        const label = dists.length > 1 ? `${name} [${basename(dist)}]` : name;
        console.log(`${`site: ${label}`.padEnd(28)} ${list('running')} ${list('ms')} ${Math.round(median).toString().padStart(7)} ${`<${msTarget}`.padStart(7)} ${kib(bytes).padStart(12)} ${(byteTarget ? `<${kib(byteTarget)}` : '').padStart(8)}`);
        if (process.env.VERBOSE) for (const u of runs[d][0].requests) console.log(`  ${u}`);
      }
    }
  } finally {
    await Promise.all(servers.map((s) => s.close()));
  }
}
