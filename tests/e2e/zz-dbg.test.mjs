import { test, before, after } from 'node:test';
import { serve, launch, open, settled } from '/work/wt/traces/tests/e2e/harness.mjs';
test('dbg', async () => {
  const server = await serve(); const browser = await launch();
  const { page, errors } = await open(browser, `${server.url}?lesson=eviction&policies=lru,sieve,s3fifo&sizes=0.01,0.1`);
  await settled(page);
  await page.selectOption('#replay-source', 'local');
  await page.setInputFiles('#replay-file', { name: 'mine.csv', mimeType: 'text/csv', buffer: Buffer.from('time,key,size\n1,1,1\n2,2,1\n3,1,1\n4,3,1\n5,1,1\n') });
  await page.fill('#replay-sizes', '2');
  await page.click('#run');
  await page.waitForTimeout(4000);
  process.stdout.write(JSON.stringify(await page.evaluate(() => [document.body.dataset.state, document.getElementById('status')?.textContent, document.getElementById('e-replay').textContent]).concat(errors)) + "\n");
  await browser.close(); await server.close();
});
