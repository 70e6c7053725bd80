// Shared set-up for the page tests: a static server for the repository root on a free loopback
// port, and Debian's Chromium driven by playwright-core (never a downloaded browser).
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before } from 'node:test';
import { chromium } from 'playwright-core';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.css': 'text/css', '.wasm': 'application/wasm', '.json': 'application/json', '.csv': 'text/csv', '.gz': 'application/gzip' };

/**
 * Serves the folder `root` (default: the repository) on 127.0.0.1 under the path `prefix`;
 * resolves to {url, close}. With `asHost`, it serves the built site as the README advises a host
 * to: a request whose Accept-Encoding allows it gets the `.br` or `.gz` file lying beside the one
 * asked for, content-hashed files may be cached for ever, index.html and sw.js must be revalidated.
 */
export async function serve({ root = ROOT, prefix = '/', asHost = false } = {}) {
  const server = createServer(async (req, res) => {
    const pathname = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    if (!pathname.startsWith(prefix)) return res.writeHead(404).end();
    const path = normalize(`/${pathname.slice(prefix.length)}`).replace(/^(\.\.[/\\])+/, '');
    const file = join(root, path.endsWith('/') ? `${path}index.html` : path);
    const accepted = asHost ? String(req.headers['accept-encoding'] ?? '') : '';
    const caching = asHost ? { 'cache-control': /\.[0-9a-f]{12}\./.test(path) ? 'public, max-age=31536000, immutable' : 'no-cache' } : {};
    for (const [encoding, ext] of [['br', '.br'], ['gzip', '.gz'], [null, '']]) {
      if (encoding && !accepted.includes(encoding)) continue;
      try {
        const body = await readFile(file + ext);
        res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', ...caching, ...(encoding && { 'content-encoding': encoding, vary: 'accept-encoding' }) });
        return res.end(body);
      } catch {
        // not precompressed: the next encoding, or the file itself
      }
    }
    res.writeHead(404).end();
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${server.address().port}${prefix}`, close: () => new Promise((r) => server.close(r)) };
}

/** Launches headless Chromium with the flags this machine needs (Playwright gives it a fresh profile). */
export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--disable-dev-shm-usage'],
  });
}

/** Opens `url` in a new page and collects console errors and uncaught exceptions. */
export async function open(browser, url) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const errors = [];
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(url);
  return { page, errors };
}

/** Waits until the page has finished a run (successfully or not). */
export function settled(page) {
  return page.waitForFunction(() => ['ready', 'error', 'cancelled'].includes(document.body.dataset.state), null, { timeout: 30_000 });
}

/**
 * One server and one Chromium for the calling test file: started before its first test and closed
 * after its last (node:test's `before`/`after`), reached as `env.server` and `env.browser`.
 */
export function servedBrowser() {
  const env = {};
  before(async () => {
    env.server = await serve();
    env.browser = await launch();
  });
  after(async () => {
    await env.browser?.close();
    await env.server?.close();
  });
  return env;
}
