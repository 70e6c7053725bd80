// The playground's main module: lesson navigation, the knobs form, runs through the worker,
// the chart and the table. State that a learner may want to share lives in the URL.
import { Core } from './core.js';
import { draw } from './chart.js';
import { LESSONS } from './lessons.js';
import { ConsolePanel } from './console.js';
import { buildReplayFields, runReplay } from './replay.js';
import { addressFor, setUpEmbed } from './embed.js';
import { registerServiceWorker } from './offline.js';
import { InsidePanel } from './inside.js';

const $ = (id) => document.getElementById(id);
const MAX_SEED = (1n << 64n) - 1n;
const runs = new Core();
const consolePanel = new ConsolePanel(new Core());
const insidePanel = new InsidePanel(new Core());

// Runs shorter than this show no progress bar or Cancel button: they would only flicker.
const SHOW_PROGRESS_AFTER_MS = 100;

let lessons = [];
let lesson = null;
let specs = [];
let lastReport = null;

/** Sets the page state that tests and assistive tech can read. */
function setStatus(state, text) {
  document.body.dataset.state = state;
  $('status').textContent = text;
}

function showNotice(text) {
  $('notice').textContent = text;
  $('notice').hidden = !text;
}

/**
 * The lessons this build of the core can run, each with its parameter specs: scenario lessons
 * take theirs from the core's scenario list, the others from their own `paramsFn`.
 */
async function loadLessons() {
  const scenarios = await runs.call('scenarios').catch(() => []);
  const hasConsole = await consolePanel.start();
  const available = [];
  for (const l of LESSONS) {
    if (l.kind === 'console') {
      if (hasConsole) available.push({ ...l, specs: [] });
    } else if (l.kind === 'inside') {
      const policies = await runs.call('policies').catch(() => null);
      if (policies) {
        await insidePanel.start(policies);
        $('lesson').append(insidePanel.root);
        available.push({ ...l, specs: [] });
      }
    } else if (l.kind === 'replay') {
      const policies = await runs.call('policies').catch(() => null);
      if (policies) available.push({ ...l, specs: [], policies });
    } else if (l.scenario) {
      const meta = scenarios.find((s) => s.name === l.scenario);
      // A lesson may start from other defaults than the scenario's own (its preset).
      if (meta) available.push({ ...l, specs: meta.params.map((p) => ({ ...p, default: l.defaults[p.name] ?? p.default })) });
    } else {
      available.push({ ...l, specs: await runs.call(l.paramsFn) });
    }
  }
  return available;
}

function buildNav() {
  $('lessons').replaceChildren(
    ...lessons.map((l) => {
      const b = document.createElement('button');
      b.type = 'button';
      b.textContent = l.title;
      b.dataset.lesson = l.id;
      b.addEventListener('click', () => selectLesson(l, new URLSearchParams()));
      return b;
    }),
  );
}

/** One labelled number input for parameter spec `s`, with its meaning, range and error slot. */
function field(s, values) {
  const wrap = document.createElement('div');
  wrap.className = 'field';
  const label = document.createElement('label');
  label.htmlFor = `p-${s.name}`;
  label.textContent = s.unit && s.unit !== s.name ? `${s.name} (${s.unit})` : s.name;
  const input = document.createElement('input');
  Object.assign(input, { id: `p-${s.name}`, name: s.name, type: 'number', min: s.min, max: s.max });
  input.step = s.integer ? '1' : 'any';
  input.value = values.get(s.name) ?? s.default;
  const hint = document.createElement('span');
  hint.className = 'hint';
  hint.id = `h-${s.name}`;
  hint.textContent = `${s.meaning}; ${s.min} to ${s.max}`;
  const error = document.createElement('span');
  error.className = 'error';
  error.id = `e-${s.name}`;
  error.setAttribute('aria-live', 'polite');
  input.setAttribute('aria-describedby', `h-${s.name} e-${s.name}`);
  wrap.append(label, input, hint, error);
  return wrap;
}

/**
 * The form's fields: the lesson's main knobs first, the others folded under "more parameters"
 * (opened when a shared link sets one of them, so nothing it changed is hidden).
 */
function buildFields(values) {
  const main = lesson.mainParams;
  const isMain = (s) => !main || main.includes(s.name);
  const more = specs.filter((s) => !isMain(s));
  const folded = document.createElement('details');
  folded.className = 'more-params';
  folded.open = more.some((s) => values.has(s.name));
  const grid = document.createElement('div');
  grid.className = 'fields';
  grid.append(...more.map((s) => field(s, values)));
  folded.append(Object.assign(document.createElement('summary'), { textContent: `more parameters (${more.length})` }), grid);
  $('fields').replaceChildren(...specs.filter(isMain).map((s) => field(s, values)), ...(more.length ? [folded] : []));
}

/** Reads the form; returns {params, seed} or null after marking the fields in error. */
function readForm() {
  for (const e of document.querySelectorAll('.field .error')) e.textContent = '';
  const params = {};
  for (const s of specs) params[s.name] = $(`p-${s.name}`).value.trim();
  let seed;
  try {
    seed = BigInt($('seed').value.trim());
    if (seed < 0n || seed > MAX_SEED) throw new Error();
  } catch {
    setStatus('error', `seed must be a whole number from 0 to ${MAX_SEED}`);
    return null;
  }
  return { params, seed };
}

/** Puts the core's validation message beside the field it names. */
function showError(message) {
  const name = /parameter `([^`]+)`/.exec(message)?.[1];
  const slot = lesson.kind === 'replay' ? $('e-replay') : name && document.getElementById(`e-${name}`);
  // A message about a folded parameter opens the fold, so it is seen beside its field.
  slot?.closest('details')?.setAttribute('open', '');
  if (slot) slot.textContent = message;
  setStatus('error', message);
}

/** Puts the lesson and its settings in the address bar, so the link reproduces the run. */
function writeUrl(settings) {
  const q = new URLSearchParams({ lesson: lesson.id, ...settings });
  history.replaceState(null, '', addressFor(q));
}

function renderTable({ head, rows }) {
  const thead = document.createElement('thead');
  const tr = document.createElement('tr');
  tr.append(...head.map((h) => Object.assign(document.createElement('th'), { scope: 'col', textContent: h })));
  thead.append(tr);
  const tbody = document.createElement('tbody');
  for (const row of rows) {
    const r = document.createElement('tr');
    r.append(...row.map((c) => Object.assign(document.createElement('td'), { textContent: String(c) })));
    tbody.append(r);
  }
  $('table').replaceChildren(thead, tbody);
}

/** Shows the progress bar and Cancel button while a run lasts longer than a moment. */
function progressUi() {
  const timer = setTimeout(() => {
    $('progress').hidden = false;
    $('cancel').hidden = false;
  }, SHOW_PROGRESS_AFTER_MS);
  return {
    update: (fraction) => ($('progress').value = fraction),
    done: () => {
      clearTimeout(timer);
      $('progress').hidden = true;
      $('cancel').hidden = true;
      $('progress').value = 0;
    },
  };
}

/** Runs the current lesson's experiment; resolves to `{report, settings}` (settings go in the URL). */
async function runLesson(onProgress) {
  if (lesson.kind === 'replay') {
    $('e-replay').textContent = '';
    const { report, query } = await runReplay(runs, onProgress);
    return { report, settings: query };
  }
  const form = readForm();
  if (!form) return null;
  const report = await runs.call(lesson.runFn, lesson.runArgs(form.params, form.seed), onProgress);
  return { report, settings: { ...form.params, seed: String(form.seed) } };
}

async function run() {
  setStatus('running', 'running…');
  $('run').disabled = true;
  const progress = progressUi();
  try {
    const done = await runLesson(progress.update);
    if (!done) return;
    const { report, settings } = done;
    lastReport = report;
    window.cachelabLastReport = report;
    writeUrl(settings);
    drawCharts(lesson.charts(report));
    lesson.decorate?.($('charts'), report);
    renderTable(lesson.table(report));
    renderEvents(report);
    $('notice-line').textContent = lesson.notice(report);
    for (const b of [$('export-json'), $('export-csv')]) b.disabled = false;
    setStatus('ready', settings.seed ? `done (seed ${settings.seed})` : 'done');
  } catch (e) {
    if (e.message === 'cancelled') setStatus('cancelled', 'cancelled: the last complete run is still shown');
    else showError(e.message);
  } finally {
    progress.done();
    $('run').disabled = false;
  }
}

/** What an event of step mode's log means, in words. */
function describeEvent(e) {
  const answered = {
    l1: 'read: answered by L1',
    l2: 'read: answered by L2',
    l2_stale: 'read: served a stale entry within its grace period',
    db: 'read: missed, loaded from the database',
    coalesced: "read: waited for another request's load",
  };
  switch (e.event) {
    case 'read': return `${answered[e.served] ?? e.served}${e.stale ? ' (stale!)' : ''}`;
    case 'write': return 'write: the database row changed';
    case 'failed': return 'request failed (timed out or its load was abandoned)';
    case 'l2_miss': return 'L2 has no fresh entry';
    case 'db_query': return { load: 'database query to fill the cache', fallback: 'database query: gave up waiting for the lock', write: 'database write' }[e.purpose] ?? e.purpose;
    case 'fill': return `written to L2, fresh for ${e.fresh_for_ms} ms`;
    default: return e.event;
  }
}

/** Step mode: each variant's event log, if the run asked for one (parameter event_log). */
function renderEvents(report) {
  const logs = (report.variants ?? []).filter((v) => v.events?.length);
  $('events').replaceChildren(
    ...logs.map((v) => {
      const details = document.createElement('details');
      const summary = Object.assign(document.createElement('summary'), { textContent: `event log: ${v.name} (first ${v.events.length} events)` });
      const table = document.createElement('table');
      table.className = 'results';
      const head = document.createElement('tr');
      head.append(...['time (ms)', 'key', 'what happened', 'took (ms)'].map((h) => Object.assign(document.createElement('th'), { scope: 'col', textContent: h })));
      table.append(head);
      for (const e of v.events) {
        const tr = document.createElement('tr');
        tr.append(...[e.t_ms.toFixed(3), e.key, describeEvent(e), e.latency_ms?.toFixed(3) ?? ''].map((t) => Object.assign(document.createElement('td'), { textContent: String(t) })));
        table.append(tr);
      }
      details.append(summary, table);
      return details;
    }),
  );
}

/** One titled chart per spec, replacing the previous run's. */
function drawCharts(chartSpecs) {
  $('charts').replaceChildren(
    ...chartSpecs.map((spec) => {
      const box = document.createElement('figure');
      box.className = 'chart';
      box.setAttribute('role', 'img');
      box.setAttribute('aria-label', `chart: ${spec.title}`);
      const title = Object.assign(document.createElement('h3'), { textContent: spec.title });
      const plot = document.createElement('div');
      box.append(title, plot);
      return box;
    }),
  );
  chartSpecs.forEach((spec, i) => draw($('charts').children[i].lastChild, spec));
}

/** Offers `text` as a file download. */
function download(name, type, text) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = Object.assign(document.createElement('a'), { href: url, download: name });
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

async function selectLesson(next, query) {
  lesson = next;
  for (const b of $('lessons').children) {
    if (b.dataset.lesson === lesson.id) b.setAttribute('aria-current', 'page');
    else b.removeAttribute('aria-current');
  }
  $('lesson-title').textContent = lesson.title;
  $('lesson-text').replaceChildren(...lesson.text.map((t) => Object.assign(document.createElement('p'), { textContent: t })));
  specs = lesson.specs;
  const isConsole = lesson.kind === 'console';
  const isInside = lesson.kind === 'inside';
  $('console').hidden = !isConsole;
  insidePanel.show(isInside);
  $('knobs').hidden = isConsole || isInside;
  $('results').hidden = isConsole || isInside;
  $('notice-line').textContent = '';
  if (isConsole || isInside) {
    writeUrl({});
    setStatus('ready', '');
    if (isInside) await insidePanel.load();
    return;
  }
  const isReplay = lesson.kind === 'replay';
  $('replay-fields').hidden = !isReplay;
  $('fields').hidden = isReplay;
  $('seed-field').hidden = isReplay;
  if (isReplay) buildReplayFields(lesson.policies, query);
  // The core decodes the link against this lesson's knobs (so the decoder is fuzzed with the rest).
  const knobs = specs.map(({ name, min, max, integer }) => ({ name, min, max, integer }));
  const link = await runs.call('decodeLink', [query.toString(), knobs, isReplay ? ['policies', 'sizes'] : []]);
  const { invalid, unknown } = link;
  const values = new Map(Object.entries(link.values));
  buildFields(values);
  $('seed').value = values.get('seed') ?? '1';
  const notes = [];
  if (unknown.length) notes.push(`The link had unknown settings (${unknown.join(', ')}); they were ignored.`);
  if (invalid.length) notes.push(`The link had invalid values for ${invalid.join(', ')}; the defaults are used instead.`);
  showNotice(notes.join(' '));
  await run();
}

async function main() {
  setUpEmbed();
  lessons = await loadLessons();
  buildNav();
  $('cancel').addEventListener('click', () => runs.cancel());
  $('export-json').addEventListener('click', () =>
    download(`cachelab-${lesson.id}.json`, 'application/json', JSON.stringify(lastReport, null, 2)));
  $('export-csv').addEventListener('click', () =>
    download(`cachelab-${lesson.id}.csv`, 'text/csv', lesson.csv(lastReport)));
  $('knobs').addEventListener('submit', (e) => {
    e.preventDefault();
    run();
  });
  const query = new URLSearchParams(location.search);
  query.delete('embed'); // a layout, not a setting of the lesson (see embed.js)
  const wanted = lessons.find((l) => l.id === query.get('lesson'));
  if (query.has('lesson') && !wanted) {
    await selectLesson(lessons[0], new URLSearchParams());
    showNotice(`The link named an unknown lesson; showing “${lessons[0].title}” with its defaults.`);
    return;
  }
  await selectLesson(wanted ?? lessons[0], query);
}

main()
  .catch((e) => setStatus('error', `the page could not start: ${e.message}`))
  // After the first run, so caching the site for offline use never delays the first chart.
  .then(registerServiceWorker);
