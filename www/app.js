// The playground's main module: lesson navigation, the knobs form, runs through the worker,
// the chart and the table. State that a learner may want to share lives in the URL.
import { call, cancel } from './core.js';
import { draw } from './chart.js';
import { LESSONS } from './lessons.js';

const $ = (id) => document.getElementById(id);
const MAX_SEED = (1n << 64n) - 1n;

// Runs shorter than this show no progress bar or Cancel button: they would only flicker.
const SHOW_PROGRESS_AFTER_MS = 100;

let lesson = LESSONS[0];
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

function buildNav() {
  $('lessons').replaceChildren(
    ...LESSONS.map((l) => {
      const b = document.createElement('button');
      b.type = 'button';
      b.textContent = l.title;
      b.dataset.lesson = l.id;
      b.addEventListener('click', () => selectLesson(l, new URLSearchParams()));
      return b;
    }),
  );
}

function buildFields(values) {
  $('fields').replaceChildren(
    ...specs.map((s) => {
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
    }),
  );
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
  const slot = name && document.getElementById(`e-${name}`);
  if (slot) slot.textContent = message;
  setStatus('error', message);
}

function writeUrl(params, seed) {
  const q = new URLSearchParams({ lesson: lesson.id, ...params, seed: String(seed) });
  history.replaceState(null, '', `?${q}`);
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

async function run() {
  const form = readForm();
  if (!form) return;
  setStatus('running', 'running…');
  $('run').disabled = true;
  const progress = progressUi();
  try {
    const report = await call(lesson.runFn, [form.params, form.seed], progress.update);
    lastReport = report;
    window.cachelabLastReport = report;
    writeUrl(form.params, form.seed);
    draw($('chart'), lesson.chart(report));
    renderTable(lesson.table(report));
    $('notice-line').textContent = lesson.notice(report);
    for (const b of [$('export-json'), $('export-csv')]) b.disabled = false;
    setStatus('ready', `done (seed ${form.seed})`);
  } catch (e) {
    if (e.message === 'cancelled') setStatus('cancelled', 'cancelled: the last complete run is still shown');
    else showError(e.message);
  } finally {
    progress.done();
    $('run').disabled = false;
  }
}

/** Offers `text` as a file download. */
function download(name, type, text) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = Object.assign(document.createElement('a'), { href: url, download: name });
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** The chart's data as CSV: the x column, then one column per series. */
function toCsv(spec) {
  const quote = (t) => `"${String(t).replaceAll('"', '""')}"`;
  const lines = [[spec.xLabel, ...spec.series.map((s) => s.label)].map(quote).join(',')];
  spec.x.forEach((x, i) => lines.push([x, ...spec.series.map((s) => s.values[i])].join(',')));
  return `${lines.join('\n')}\n`;
}

async function selectLesson(next, query) {
  lesson = next;
  for (const b of $('lessons').children) {
    if (b.dataset.lesson === lesson.id) b.setAttribute('aria-current', 'page');
    else b.removeAttribute('aria-current');
  }
  $('lesson-title').textContent = lesson.title;
  $('lesson-text').replaceChildren(...lesson.text.map((t) => Object.assign(document.createElement('p'), { textContent: t })));
  specs = await call(lesson.paramsFn);
  const known = new Set(['lesson', 'seed', ...specs.map((s) => s.name)]);
  const unknown = [...query.keys()].filter((k) => !known.has(k));
  buildFields(query);
  if (query.has('seed')) $('seed').value = query.get('seed');
  showNotice(unknown.length ? `The link had unknown settings (${unknown.join(', ')}); they were ignored.` : '');
  await run();
}

async function main() {
  buildNav();
  $('cancel').addEventListener('click', cancel);
  $('export-json').addEventListener('click', () =>
    download(`cachelab-${lesson.id}.json`, 'application/json', JSON.stringify(lastReport, null, 2)));
  $('export-csv').addEventListener('click', () =>
    download(`cachelab-${lesson.id}.csv`, 'text/csv', toCsv(lesson.chart(lastReport))));
  $('knobs').addEventListener('submit', (e) => {
    e.preventDefault();
    run();
  });
  const query = new URLSearchParams(location.search);
  const wanted = LESSONS.find((l) => l.id === query.get('lesson'));
  if (query.has('lesson') && !wanted) {
    await selectLesson(LESSONS[0], new URLSearchParams());
    showNotice(`The link named an unknown lesson; showing “${LESSONS[0].title}” with its defaults.`);
    return;
  }
  await selectLesson(wanted ?? LESSONS[0], query);
}

main().catch((e) => setStatus('error', `the page could not start: ${e.message}`));
