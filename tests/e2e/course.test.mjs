// The course on the page (issue 16): every lesson of `cachelab lessons --json`, in its order,
// shows its chapter section, where the learner is, previous/next, every variant's description
// from `cachelab scenarios --json`, its "try this" buttons (each runs and changes the result), its
// question (the guess kept beside the answer), and its claims (and each experiment's, after it
// runs) as held / not held, its code sketches inside their column at 1280×800, with no console error.
// Screenshots of every lesson land in target/course-ID.png.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { servedBrowser, open, settled, ROOT } from './harness.mjs';

const env = servedBrowser();
const cli = (...args) => JSON.parse(execFileSync('cargo', ['run', '--quiet', '--', ...args, '--json'], { cwd: ROOT }));
const LESSONS = cli('lessons');
const SCENARIOS = cli('scenarios');
mkdirSync(join(ROOT, 'target'), { recursive: true });

const report = (page) => page.evaluate(() => JSON.stringify(window.cachelabLastReport ?? null));

test('the navigation lists every lesson in course order, grouped by part', async () => {
  const { page, errors } = await open(env.browser, env.server.url);
  await settled(page);
  const ids = await page.evaluate(() => [...document.querySelectorAll('#lessons button[data-lesson]')].map((b) => b.dataset.lesson));
  assert.deepEqual(ids, LESSONS.map((l) => l.id));
  const parts = await page.evaluate(() => [...document.querySelectorAll('#lessons .part-title')].map((p) => p.textContent));
  assert.deepEqual(parts, [...new Set(LESSONS.map((l) => l.part))].map((p, i) => `${i + 1}. ${p}`));
  // The course opens on its first lesson.
  assert.equal(await page.locator('#lesson-title').textContent(), LESSONS[0].title);
  assert.deepEqual(errors, []);
});

LESSONS.forEach((lesson, at) => {
  test(`lesson ${lesson.id}: chapter, place, previous/next, variants, try this, question, claims`, async () => {
    const { page, errors } = await open(env.browser, `${env.server.url}?lesson=${lesson.id}`);
    await settled(page);
    assert.equal(await page.evaluate(() => document.body.dataset.state), 'ready', await page.locator('#status').textContent());
    assert.equal(await page.locator('#lesson-title').textContent(), lesson.title);
    assert.equal(await page.locator('#lesson-chapter').textContent(), `In the chapter: ${lesson.chapter}`);
    assert.match(await page.locator('#course-where').textContent(), new RegExp(`^Lesson ${at + 1} of ${LESSONS.length} `));
    assert.equal(await page.locator('#lessons button[aria-current="page"]').getAttribute('data-lesson'), lesson.id);
    // Previous and next, where they exist.
    const prev = LESSONS[at - 1];
    const next = LESSONS[at + 1];
    assert.equal(await page.locator('#prevnext button.prevnext-prev').count(), prev ? 1 : 0);
    assert.equal(await page.locator('#prevnext button.prevnext-next').count(), next ? 1 : 0);
    // The lesson ends with what to try next.
    assert.equal(await page.locator('#prevnext .try-next').textContent(), lesson.next);
    if (next) assert.match(await page.locator('#prevnext button.prevnext-next').textContent(), new RegExp(next.title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));

    // Every question is asked; a guess is kept beside the answer read from the run.
    const asks = await page.locator('#question .ask').allTextContents();
    assert.deepEqual(asks, lesson.questions.map((q) => `Predict: ${q.ask}`));

    const runs = lesson.kind === 'scenario' || lesson.kind === 'curve';
    if (lesson.kind === 'scenario') {
      const meta = SCENARIOS.find((s) => s.name === lesson.scenario);
      const shown = lesson.variants?.length ? meta.variants.filter((v) => lesson.variants.includes(v.name)) : meta.variants;
      const table = await page.locator('#table').textContent();
      const labels = await page.locator('#charts .u-legend .u-label').evaluateAll((ls) => ls.map((l) => ({ text: l.textContent, title: l.title })));
      for (const v of shown) {
        assert.ok(table.includes(v.about), `${lesson.id}: the table describes ${v.name}`);
        // A chart whose series are the variants names each in its legend, described in its
        // tooltip (layers charts the tiers of one variant instead).
        for (const l of labels.filter((x) => x.text === v.name)) assert.equal(l.title, v.about, `${lesson.id}: the legend's tooltip describes ${v.name}`);
      }
      // Legends stay short: the name only, never the description.
      for (const l of labels) assert.ok(!shown.some((v) => l.text.includes(v.about)), `${lesson.id}: legend ${l.text} holds a description`);
    }
    if (runs) {
      // The claims, as held / not held: at the lesson's defaults (seed 1) every claim the lesson
      // states as a fact holds, in the browser's core as in the native one.
      const claims = await page.locator('#claims ul.lesson-claims li').evaluateAll((lis) => lis.map((li) => li.className));
      assert.equal(claims.length, lesson.claims.length);
      lesson.claims.forEach((c, i) => {
        if (c.expect === 'always') assert.equal(claims[i], 'held', `${lesson.id}: claim ${i}: ${c.says}`);
      });
      assert.match(await page.locator('#notice-line').textContent(), /\d/);
    }
    const first = page.locator('#question .choices').first().locator('button').first();
    const choice = await first.getAttribute('data-choice');
    await first.click();
    assert.equal(await first.getAttribute('aria-pressed'), 'true');
    assert.match(await page.locator('#answer-0').textContent(), new RegExp(`^Your guess: ${choice.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.`));
    if (runs) assert.match(await page.locator('#answer-0').textContent(), /The run: /);
    if (lesson.probe) {
      // A page-only lesson answers from its probe, run by the core; its claims show once every
      // question has a guess.
      const groups = page.locator('#question .choices');
      for (let i = 1; i < await groups.count(); i += 1) await groups.nth(i).locator('button').first().click();
      await page.waitForFunction((n) => document.querySelectorAll('#claims ul.lesson-claims li').length === n, lesson.claims.length, { timeout: 60_000 });
      assert.match(await page.locator('#answer-0').textContent(), /The run: /);
      const marks = await page.locator('#claims ul.lesson-claims li').evaluateAll((lis) => lis.map((li) => li.className));
      lesson.claims.forEach((c, i) => assert.equal(marks[i], 'held', `${lesson.id}: claim ${i}: ${c.says}`));
      // Headed with what the core ran (its probe), as `cachelab lesson` heads them: the learner ran nothing.
      const heading = cli('lesson', lesson.id).evaluation.claims_heading;
      assert.equal(await page.locator('#claims h3.shows').textContent(), heading);
      assert.doesNotMatch(heading, /this run/);
    }
    if (runs || lesson.probe) {
      // The answer reads as words: no report path (`summary.db_queries`), no bare 0/1 of a choice.
      const answer = await page.locator('#answer-0').textContent();
      assert.doesNotMatch(answer, /[a-z_]\.[a-z_]/, `${lesson.id}: the answer names a report path: ${answer}`);
      assert.doesNotMatch(answer, /: [01](,|\.$)/, `${lesson.id}: the answer lists a bare indicator: ${answer}`);
    }
    assert.equal(new URL(page.url()).searchParams.get('guess0'), choice, 'the guess is in the address bar');
    // At 1280×800 the code sketches fit their column (a long line wraps inside its box) and the
    // page never scrolls sideways.
    const fit = await page.evaluate(() => {
      const column = document.getElementById('sketches').getBoundingClientRect();
      const pres = [...document.querySelectorAll('#sketches pre')];
      const lines = [...document.querySelectorAll('#sketches pre .line')];
      return {
        page: document.documentElement.scrollWidth - window.innerWidth,
        pres: pres.length,
        scrolled: pres.filter((p) => p.scrollWidth > p.clientWidth).length,
        outside: [...pres, ...lines].filter((e) => e.getBoundingClientRect().right > column.right + 0.5).map((e) => e.textContent.slice(0, 60)),
      };
    });
    assert.ok(fit.page <= 0, `${lesson.id}: the page scrolls sideways by ${fit.page} px`);
    assert.equal(fit.pres, (lesson.sketches ?? []).length, `${lesson.id}: every sketch is shown`);
    assert.equal(fit.scrolled, 0, `${lesson.id}: a sketch scrolls inside its box`);
    assert.deepEqual(fit.outside, [], `${lesson.id}: code past its column`);
    await page.screenshot({ path: join(ROOT, 'target', `course-${lesson.id}.png`), fullPage: true });

    // Each "try this" sets its parameters, runs, and changes the result.
    const tries = await page.locator('#experiments button.try').count();
    assert.equal(tries, lesson.experiments.length);
    for (const [i, e] of lesson.experiments.entries()) {
      const before = await report(page);
      await page.click(`#experiments button[data-experiment="${i}"]`);
      await page.waitForFunction((b) => JSON.stringify(window.cachelabLastReport ?? null) !== b && document.body.dataset.state !== 'running', before, { timeout: 60_000 });
      await settled(page);
      assert.equal(await page.evaluate(() => document.body.dataset.state), 'ready', `${lesson.id}: ${e.label}`);
      const params = await page.evaluate(() => window.cachelabLastReport.params);
      for (const [k, v] of Object.entries(e.set)) assert.equal(params[k], v, `${lesson.id}: ${e.label} sets ${k}`);
      // Its claims, after the run, as held / not held; those it states as facts hold (seed 1).
      const tried = await page.locator('#claims ul.tried-claims li').evaluateAll((lis) => lis.map((li) => li.className));
      assert.equal(tried.length, e.claims?.length ?? 0, `${lesson.id}: ${e.label}: its claims`);
      (e.claims ?? []).forEach((c, j) => {
        if (c.expect === 'always') assert.equal(tried[j], 'held', `${lesson.id}: ${e.label}: claim ${j}: ${c.says}`);
      });
    }
    assert.deepEqual(errors, []);
  });
});

test('opened from the course, a lesson asks its question before its first run', async () => {
  const { page, errors } = await open(env.browser, `${env.server.url}?lesson=stampede&duration_s=6`);
  await settled(page);
  await page.click('#prevnext button.prevnext-next');
  const next = LESSONS[LESSONS.findIndex((l) => l.id === 'stampede') + 1];
  await page.waitForFunction((t) => document.getElementById('lesson-title').textContent === t, next.title);
  await settled(page);
  assert.equal(await page.locator('#results').isHidden(), true, 'no result before the guess');
  assert.match(await page.locator('#answer-0').textContent(), /Pick your guess/);
  // The run starts once every question has a guess.
  const groups = page.locator('#question .choices');
  for (let i = 0; i < await groups.count(); i += 1) await groups.nth(i).locator('button').first().click();
  await page.waitForFunction(() => window.cachelabLastReport && document.body.dataset.state === 'ready' && !document.getElementById('results').hidden, null, { timeout: 60_000 });
  assert.match(await page.locator('#answer-0').textContent(), /The run: /);
  assert.deepEqual(errors, []);
});
