// Runs the benchmark cases natively (`cachelab bench --json`, release build) and in headless
// Chromium (www/bench.html), and prints both with the wasm/native ratio; then the `site` case: the
// built site (dist/, `make site`) as a learner meets it. Not a test: timings vary with the
// machine, so targets are judged from the printed numbers (see the README).
//   node tests/e2e/bench.mjs [--scale 0.2] [--filter scenario|site|stream] [--trace FILE]
//                            [--dist DIR[,DIR…]] [--visits N] [--case NAME]
// `stream` (tests/e2e/bench-stream.mjs): a generated 1 GiB trace file streamed by the page.
// `--dist` measures other built sites than dist/; with several (say, a copy of the previous build
// and this one) the visits take turns between them, so both meet the same load on a machine whose
// load varies. `--visits`: first visits per case and site (3); `--case`: only the site cases
// whose name contains NAME (`console`, `degradation`, `eviction`).
// The policy cases replay FILE in both worlds; by default the shared `zipf.csv` when this machine
// has it (the trace the README's targets are stated on), else the core's synthetic stand-in.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { serve, launch, ROOT } from './harness.mjs';
import { siteCase } from './bench-site.mjs';
import { streamCase } from './bench-stream.mjs';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const scale = arg('--scale', '1');
const filter = arg('--filter', '');
const shared = resolve(ROOT, '../shared/traces/zipf.csv');
const trace = arg('--trace', existsSync(shared) ? shared : '');

const browser = await launch();
try {
  if (filter !== 'site' && filter !== 'stream') await coreCases();
  if (!filter || filter === 'stream') await streamCase(browser);
  if (!filter || filter === 'site') {
    const dists = arg('--dist') ? arg('--dist').split(',').map((d) => resolve(d)) : undefined;
    await siteCase(browser, dists, Number(arg('--visits', '3')), arg('--case', ''));
  }
} finally {
  await browser.close();
}

async function coreCases() {
  const traceArgs = trace ? ['--policy-trace', trace] : [];
  let traceQuery = '';
  if (trace) {
    // The page can only fetch what the server serves: the repository's folder (www/pkg is build
    // output, ignored by git, and inside the repository whatever CARGO_TARGET_DIR says).
    const served = join(ROOT, 'www', 'pkg', 'bench-trace');
    mkdirSync(served, { recursive: true });
    copyFileSync(trace, join(served, basename(trace)));
    traceQuery = `&trace=${encodeURIComponent(`/www/pkg/bench-trace/${basename(trace)}`)}`;
  }
  console.log(`policy cases replay: ${trace || 'the synthetic Zipf stand-in'}`);
  const native = JSON.parse(execFileSync('cargo', ['run', '--release', '--quiet', '--', 'bench', '--json', '--scale', scale, '--filter', filter, ...traceArgs], { cwd: ROOT }));
  const server = await serve();
  try {
    const page = await browser.newPage();
    await page.goto(`${server.url}www/bench.html?scale=${scale}&filter=${encodeURIComponent(filter)}${traceQuery}`);
    await page.waitForFunction(() => window.benchResults, null, { timeout: 600_000 });
    const wasm = await page.evaluate(() => window.benchResults);
    console.log(`${'case'.padEnd(28)} ${'native/s'.padStart(13)} ${'ratio'.padStart(6)} ${'wasm/s'.padStart(13)} ${'ratio'.padStart(6)}  wasm/native`);
    for (const n of native) {
      const w = wasm.find((r) => r.name === n.name);
      const same = w && w.checksum === String(n.checksum) ? '' : '  (checksums differ!)';
      console.log(`${n.name.padEnd(28)} ${Math.round(n.per_sec).toString().padStart(13)} ${n.ratio_to_baseline.toFixed(2).padStart(6)} ${Math.round(w?.per_sec ?? 0).toString().padStart(13)} ${(w?.ratio_to_baseline ?? 0).toFixed(2).padStart(6)}  ${((w?.per_sec ?? 0) / n.per_sec).toFixed(2)}${same}`);
    }
  } finally {
    await server.close();
  }
}
