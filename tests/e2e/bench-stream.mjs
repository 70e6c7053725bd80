// `make bench`'s `stream` case: the eviction lesson streams a generated 1 GiB oracleGeneral file
// (43 blocks of 2^20 requests, 1032 MiB; tests/e2e/bigtrace.mjs) from the file input, as a
// learner's local trace, in headless Chromium. Prints the file's MB per second from the click to
// the rows (both passes, every worker) and the largest wasm memory of a worker.
import { serve } from './harness.mjs';
import { bigTrace } from './bigtrace.mjs';

const POLICIES = 'lru,sieve,s3fifo,belady';
const SIZES = '0.01,0.1';

export async function streamCase(browser) {
  const trace = bigTrace(43);
  const server = await serve();
  try {
    const page = await browser.newPage();
    await page.goto(`${server.url}?lesson=eviction&policies=${POLICIES}&sizes=${SIZES}`);
    await page.waitForFunction(() => document.body.dataset.state === 'ready', null, { timeout: 60_000 });
    await page.selectOption('#replay-source', 'local');
    await page.setInputFiles('#replay-file', trace.path);
    const started = performance.now();
    await page.click('#run');
    await page.waitForFunction(() => document.body.dataset.state !== 'running' && window.cachelabLastReport, null, { timeout: 600_000, polling: 200 });
    const seconds = (performance.now() - started) / 1e3;
    const r = await page.evaluate(() => window.cachelabLastReport);
    if (!r.stream || r.requests !== trace.requests) throw new Error(`the streamed run failed: ${await page.textContent('#status')}`);
    const mb = trace.bytes / 1e6;
    console.log(`stream: ${(trace.bytes / 2 ** 20).toFixed(0)} MiB oracleGeneral, ${trace.requests} requests, ${POLICIES} at ${SIZES}, ${r.stream.workers} workers`);
    console.log(`stream: ${seconds.toFixed(1)} s, ${(mb / seconds).toFixed(1)} MB/s of file, ${(trace.requests / seconds / 1e6).toFixed(2)} M requests/s; peak wasm memory of a worker ${(r.stream.wasm_memory_bytes / 2 ** 20).toFixed(1)} MiB`);
  } finally {
    await server.close();
  }
}
