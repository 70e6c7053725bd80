// The console lesson in a real browser: redis-cli's timing line, HELP from the model's table,
// the suggested-command chips, a transaction's (TX) prompt, the session kept across a reload,
// and the link that replays it in a fresh tab.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { servedBrowser, open, ROOT } from './harness.mjs';

const env = servedBrowser();

/** Types `line` into the console and resolves to the text of its reply. */
async function send(page, line) {
  const before = await page.locator('#console-output .reply').count();
  await page.fill('#console-input', line);
  await page.press('#console-input', 'Enter');
  await page.waitForFunction((n) => document.querySelectorAll('#console-output .reply').length > n, before);
  return page.locator('#console-output .reply').last().textContent();
}

async function openConsole(url) {
  const opened = await open(env.browser, url);
  await opened.page.locator('#console-input').waitFor({ state: 'visible' });
  return opened;
}

test('DEBUG SLEEP 0.6 prints OK and (0.60s), as redis-cli does', async () => {
  const { page, errors } = await openConsole(`${env.server.url}?lesson=console`);
  assert.equal(await send(page, 'DEBUG SLEEP 0.6'), 'OK\n(0.60s)');
  assert.equal(await send(page, 'DEBUG SLEEP 0.1'), 'OK');
  assert.match(await page.locator('#console').textContent(), /blocks the whole server.*enable-debug-command/s);
  assert.deepEqual(errors, []);
});

test('HELP lists the model\'s commands by family and HELP SET explains one', async () => {
  const { page, errors } = await openConsole(`${env.server.url}?lesson=console`);
  const all = await send(page, 'HELP');
  assert.match(all, /@list: LPUSH RPUSH/);
  assert.match(all, /@transactions: MULTI EXEC DISCARD WATCH UNWATCH/);
  assert.match(all, /Not modelled.*EVAL/s);
  assert.match(await send(page, 'help set'), /SET key value \[NX\|XX\].*group: string/s);
  assert.match(await send(page, 'EVAL "return 1" 0'), /not available here: the playground does not model Lua/);
  assert.deepEqual(errors, []);
});

test('the chips run the chapter\'s commands, a write-behind queue and a transaction', async () => {
  const { page, errors } = await openConsole(`${env.server.url}?lesson=console`);
  const chip = async (label) => {
    const before = await page.locator('#console-output .reply').count();
    const lines = (await page.locator(`[data-chip="${label}"]`).getAttribute('title')).split('\n').length;
    await page.click(`[data-chip="${label}"]`);
    await page.waitForFunction((n) => document.querySelectorAll('#console-output .reply').length >= n, before + lines);
    return page.locator('#console-output .reply').allTextContents().then((all) => all.slice(before));
  };
  assert.deepEqual(await chip('SETEX'), ['OK']);
  assert.deepEqual(await chip('SET … NX EX'), ['OK']);
  assert.deepEqual(await chip('SET … NX EX'), ['(nil)']);
  assert.deepEqual(await chip('EXISTS'), ['(integer) 1']);
  assert.match((await chip('SCAN'))[0], /"user:42"/);
  assert.match((await chip('INFO stats'))[0], /keyspace_hits:\d+/);
  assert.deepEqual(await chip('write-behind queue'), ['(integer) 1', '(integer) 2', '(integer) 2', '"{\\"user\\":42,\\"name\\":\\"Ada\\"}"']);
  // Inside MULTI the prompt says (TX) and commands are QUEUED.
  await send(page, 'MULTI');
  assert.match(await page.locator('#console-prompt').textContent(), /\(TX\)>$/);
  await send(page, 'DISCARD');
  assert.deepEqual(await chip('transaction'), ['OK', 'QUEUED', 'QUEUED', '1) (integer) 1\n2) (integer) 1']);
  assert.match(await page.locator('#console-prompt').textContent(), /6379>$/);
  // The key table stays compact: a row is one line high, not the console's height.
  const rowHeight = await page.locator('#console-keys tbody tr').first().evaluate((tr) => tr.getBoundingClientRect().height);
  assert.ok(rowHeight < 40, `key table row height ${rowHeight}px`);
  mkdirSync(join(ROOT, 'target'), { recursive: true });
  await page.screenshot({ path: join(ROOT, 'target', 'console-chips.png'), fullPage: true });
  assert.deepEqual(errors, []);
});

test('the session survives a reload, and its link replays it in a fresh tab', async () => {
  const { page, errors } = await openConsole(`${env.server.url}?lesson=console`);
  await send(page, 'SET greeting hello EX 100');
  await send(page, 'RPUSH q a b');
  await page.click('[data-advance-ms="10000"]');
  await page.waitForFunction(() => /10\.0 s/.test(document.getElementById('console-clock').textContent));
  await send(page, 'SELECT 1');
  // The link is rebuilt after the reply is printed.
  await page.waitForFunction(() => document.getElementById('console-link').href.includes('SELECT'));
  const link = await page.locator('#console-link').getAttribute('href');
  assert.match(link, /cmds=/);

  await page.reload();
  await page.locator('#console-input').waitFor({ state: 'visible' });
  await page.waitForFunction(() => document.querySelectorAll('#console-output .reply').length === 3);
  assert.match(await page.locator('#console-prompt').textContent(), /\[1\]>$/);
  assert.equal(await send(page, 'SELECT 0'), 'OK');
  assert.equal(await send(page, 'TTL greeting'), '(integer) 90');
  assert.equal(await send(page, 'LRANGE q 0 -1'), '1) "a"\n2) "b"');

  // A new context has an empty sessionStorage: only the link brings the session.
  const context = await env.browser.newContext();
  const fresh = await context.newPage();
  const freshErrors = [];
  fresh.on('pageerror', (e) => freshErrors.push(String(e)));
  await fresh.goto(new URL(link, env.server.url).href);
  await fresh.locator('#console-input').waitFor({ state: 'visible' });
  await fresh.waitForFunction(() => document.querySelectorAll('#console-output .reply').length === 3);
  assert.match(await fresh.locator('#console-clock').textContent(), /10\.0 s/);
  assert.match(await fresh.locator('#console-prompt').textContent(), /\[1\]>$/);
  await context.close();
  assert.deepEqual(errors, []);
  assert.deepEqual(freshErrors, []);
});
