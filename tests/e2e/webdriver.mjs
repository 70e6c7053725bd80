// A small WebDriver client for headless Firefox (Debian's firefox-esr through geckodriver): the
// few commands the smoke set needs over the classic HTTP protocol, and the browser's console
// errors and uncaught exceptions over WebDriver BiDi (`log.entryAdded`). Nothing is downloaded.
// Node 20 needs `--experimental-websocket` for the BiDi socket.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';

const freePort = () =>
  new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

/** Starts geckodriver and a headless Firefox session; resolves to a smoke-set driver plus `errors` and `close()`. */
export async function firefox() {
  if (typeof WebSocket !== 'function') throw new Error('WebDriver BiDi needs a WebSocket: run node with --experimental-websocket (Node 20) or Node 22+');
  const port = await freePort();
  const driver = spawn(process.env.GECKODRIVER ?? 'geckodriver', ['--host', '127.0.0.1', '--port', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let driverLog = '';
  driver.stderr.on('data', (d) => (driverLog = (driverLog + d).slice(-4000)));
  const base = `http://127.0.0.1:${port}`;
  const call = async (method, path, body) => {
    const res = await fetch(base + path, { method, headers: { 'content-type': 'application/json' }, body: body && JSON.stringify(body) });
    const { value } = await res.json();
    if (!res.ok) throw new Error(`WebDriver ${method} ${path}: ${value?.error}: ${value?.message}`);
    return value;
  };
  for (let i = 0; ; i++) {
    try {
      if ((await call('GET', '/status')).ready) break;
    } catch (e) {
      if (i > 100) throw new Error(`geckodriver did not start: ${e.message}\n${driverLog}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const session = await call('POST', '/session', {
    capabilities: {
      alwaysMatch: {
        browserName: 'firefox',
        webSocketUrl: true,
        'moz:firefoxOptions': { binary: process.env.FIREFOX ?? '/usr/bin/firefox-esr', args: ['-headless'], prefs: { 'app.update.disabledForTesting': true, 'browser.safebrowsing.malware.enabled': false, 'browser.safebrowsing.phishing.enabled': false } },
      },
    },
  });
  const id = session.sessionId;
  const errors = [];
  const bidi = new WebSocket(session.capabilities.webSocketUrl);
  await new Promise((resolve, reject) => {
    bidi.onopen = resolve;
    bidi.onerror = () => reject(new Error('the WebDriver BiDi socket did not open'));
  });
  bidi.onmessage = ({ data }) => {
    const { method, params } = JSON.parse(data);
    if (method === 'log.entryAdded' && params.level === 'error') errors.push(`${params.type}: ${params.text}`);
  };
  const subscribed = new Promise((resolve) => {
    const listener = ({ data }) => JSON.parse(data).id === 1 && (bidi.removeEventListener('message', listener), resolve());
    bidi.addEventListener('message', listener);
  });
  bidi.send(JSON.stringify({ id: 1, method: 'session.subscribe', params: { events: ['log.entryAdded'] } }));
  await subscribed;

  const evaluate = (fn, arg = null) => call('POST', `/session/${id}/execute/sync`, { script: `return (${fn})(arguments[0]);`, args: [arg] });
  return {
    errors,
    goto: (url) => call('POST', `/session/${id}/url`, { url }),
    evaluate,
    async waitFor(fn, arg, timeoutMs) {
      const until = Date.now() + timeoutMs;
      while (!(await evaluate(fn, arg))) {
        if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${fn}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async close() {
      bidi.close();
      await call('DELETE', `/session/${id}`).catch(() => {});
      driver.kill();
    },
  };
}
