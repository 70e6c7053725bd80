// The playground's main module: lesson navigation, the knobs form, runs through the worker,
// the chart and the table. State that a learner may want to share lives in the URL.
import { Core } from './core.js';
// The workers, started (and the first lesson's modules loading) before this module could run.
import { checks, consoleCore, runs } from './start.js';
import { draw } from './chart.js';
import { setSummaryColumns, withView } from './lessons.js';
import * as course from './course.js';
import { ConsolePanel } from './console.js';
import { buildReplayFields, replayQuery, runReplay, sweep, sweepWorkers } from './replay.js';
import { addressFor, setUpEmbed } from './embed.js';
import { registerServiceWorker } from './offline.js';
import { InsidePanel } from './inside.js';
// coursepage: the glossary, the monitoring panel and the step log live in modules of their own.
import { glossaryPanel, linkTerms, setGlossary } from './glossary.js';
import { renderMonitoring } from './monitoring.js';
import { clickToLog, renderStepLog } from './steplog.js';
import { KeysPanel } from './keys.js';

const $ = (id) => document.getElementById(id);
const MAX_SEED = (1n << 64n) - 1n;
const consolePanel = new ConsolePanel(consoleCore);
const insidePanel = new InsidePanel(new Core());
// The keys lesson's widget answers from the light checks' worker.
const keysPanel = new KeysPanel(checks);

// Runs shorter than this show no progress bar or Cancel button: they would only flicker.
const SHOW_PROGRESS_AFTER_MS = 100;

let lessons = [];
// The core's scenario list: each scenario's knobs and each variant's description.
let scenarioList = [];
let lesson = null;
let specs = [];
let lastReport = null;
// The lesson `lastReport` was run for.
let lastReportFor = null;
// The settings the results on screen were computed with (as they go in the URL), or null.
let shownSettings = null;
let rebuilding = false;

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
 * take theirs from the core's scenario list, the others from their own `paramsFn`. The lists are
 * asked for at once (one module answers them all, loaded once); the panels of the keys and
 * inside-a-policy lessons start when their lesson first opens (`openPanel`), so a learner's first
 * lesson waits for no module it does not use.
 */
async function loadLessons() {
  const [scenarios, defs, columns, policies, hasConsole] = await Promise.all([
    runs.call('scenarios').catch(() => []),
    runs.call('lessons').then(JSON.parse),
    runs.call('summaryColumns'),
    runs.call('policies').catch(() => null),
    consolePanel.start(),
  ]);
  scenarioList = scenarios;
  setSummaryColumns(columns);
  const available = await Promise.all(defs.map(withView).filter(Boolean).map(async (l) => {
    if (l.kind === 'console') return hasConsole ? { ...l, specs: [] } : null;
    if (l.kind === 'inside' || l.kind === 'replay') return policies ? { ...l, specs: [], policies } : null;
    if (l.scenario) {
      const meta = scenarios.find((s) => s.name === l.scenario);
      // A lesson may start from other defaults than the scenario's own (its preset).
      return meta ? { ...l, specs: meta.params.map((p) => ({ ...p, default: l.defaults[p.name] ?? p.default })) } : null;
    }
    const own = await runs.call(l.paramsFn);
    return { ...l, specs: own.map((p) => ({ ...p, default: l.defaults[p.name] ?? p.default })) };
  }));
  return available.filter(Boolean);
}

// The keys and inside-a-policy panels, each started once, when its lesson first opens. Until
// then a panel is hidden and out of the page.
const panelsStarted = new Map();
let insideStarted = false;
function openPanel(kind) {
  if (!panelsStarted.has(kind)) {
    panelsStarted.set(kind, kind === 'keys'
      ? keysPanel.start().then(() => $('lesson-text').after(keysPanel.root), () => {})
      : insidePanel.start(lesson.policies).then(() => {
        $('lesson').append(insidePanel.root);
        insideStarted = true;
      }));
  }
  return panelsStarted.get(kind);
}

/** Opens lesson `l` from the course navigation or previous/next: a history entry of its own. */
function pickLesson(l) {
  if (l === lesson) return;
  // One history entry per lesson: Back returns to the previous lesson with its fields.
  history.pushState(null, '', addressFor(new URLSearchParams({ lesson: l.id })));
  selectLesson(l, new URLSearchParams(), [], { fromCourse: true });
}

function buildNav() {
  course.renderNav(lessons, pickLesson);
  // coursepage: on a phone the course folds into one <select> (style.css shows one or the other).
  const pick = $('lesson-select');
  pick.replaceChildren(...lessons.map((l) => Object.assign(document.createElement('option'), { value: l.id, textContent: l.title })));
  pick.onchange = () => {
    const l = lessons.find((x) => x.id === pick.value);
    if (l) pickLesson(l);
  };
}

/** "Try this": sets the experiment's parameters over the lesson's defaults and runs. */
function tryThis(set) {
  for (const s of specs) {
    const input = $(`p-${s.name}`);
    if (input) input.value = String(set[s.name] ?? s.default);
    if (s.name in set) input?.closest('details')?.setAttribute('open', '');
  }
  fieldsChanged();
  run();
}

/** One labelled number input for parameter spec `s`, with its meaning, range and error slot. */
function field(s, values) {
  const wrap = document.createElement('div');
  wrap.className = 'field';
  const label = document.createElement('label');
  label.htmlFor = `p-${s.name}`;
  // coursepage: the plain label first, the identifier (used in links and the CLI) beside it.
  const unit = s.unit && s.unit !== s.name ? ` (${s.unit})` : '';
  label.append(`${s.label ?? s.name}${unit} `, Object.assign(document.createElement('code'), { className: 'param-id', textContent: s.name }));
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
  input.setAttribute('aria-describedby', `h-${s.name} e-${s.name}`);
  wrap.append(label, input, hint, error);
  return wrap;
}

/**
 * The form's fields: the lesson's main knobs first, the others folded under "more parameters"
 * (opened when a shared link sets one of them, so nothing it changed is hidden).
 */
function buildFields(values) {
  const main = lesson.knobs?.length ? lesson.knobs : null;
  const isMain = (s) => !main || main.includes(s.name);
  const more = specs.filter((s) => !isMain(s));
  const folded = document.createElement('details');
  folded.className = 'more-params';
  folded.open = more.some((s) => values.has(s.name));
  const grid = document.createElement('div');
  grid.className = 'fields';
  grid.append(...more.map((s) => field(s, values)));
  folded.append(Object.assign(document.createElement('summary'), { textContent: `more parameters (${more.length})` }), grid);
  // Removing a focused, edited input fires its `change`: not an edit of the new fields.
  rebuilding = true;
  $('fields').replaceChildren(...specs.filter(isMain).map((s) => field(s, values)), ...(more.length ? [folded] : []));
  rebuilding = false;
}

/** The form's settings as typed, by name, as they go in the URL (nothing checked yet). */
function formSettings() {
  if (lesson.kind === 'replay') return replayQuery();
  if (lesson.kind === 'console' || lesson.kind === 'inside') return {};
  const settings = {};
  for (const s of specs) settings[s.name] = $(`p-${s.name}`).value.trim();
  settings.seed = $('seed').value.trim();
  return settings;
}

/** Clears every field's error mark. */
function clearFieldErrors() {
  for (const e of document.querySelectorAll('.field .error')) e.textContent = '';
  for (const i of document.querySelectorAll('[aria-invalid]')) i.removeAttribute('aria-invalid');
}

/** Marks the field `name` (a knob, or `seed`) as in error with `message` beside it. */
function markField(name, message) {
  const slot = document.getElementById(`e-${name}`);
  const input = name === 'seed' ? $('seed') : document.getElementById(`p-${name}`);
  // A message about a folded parameter opens the fold, so it is seen beside its field.
  slot?.closest('details')?.setAttribute('open', '');
  if (slot) slot.textContent = message;
  input?.setAttribute('aria-invalid', 'true');
}

/** Reads the form; returns {params, seed} or null after marking the fields in error. */
async function readForm() {
  clearFieldErrors();
  const { seed: seedText, ...params } = formSettings();
  // The seed follows the same rule as a link's (the core's decoder), so `abc` is named, not run as 0.
  const checked = await checks.call('decodeLink', [new URLSearchParams({ seed: seedText }).toString(), [], []]);
  if (checked.invalid.includes('seed')) {
    const message = `seed “${seedText}” is not allowed: a whole number from 0 to ${MAX_SEED}`;
    markField('seed', message);
    setStatus('error', message);
    return null;
  }
  return { params, seed: BigInt(seedText) };
}

/** Puts the core's validation message beside the field it names. */
function showError(message) {
  const name = /parameter `([^`]+)`/.exec(message)?.[1];
  if (lesson.kind === 'replay') $('e-replay').textContent = message;
  else if (name) markField(name, message);
  setStatus('error', message);
}

/** The address bar's query for the lesson with `settings`. */
function addressOf(settings) {
  return addressFor(new URLSearchParams({ lesson: lesson.id, ...settings, ...course.guessSettings() }));
}

/** Puts the lesson and its settings in the address bar, so the link reproduces them. */
function writeUrl(settings) {
  history.replaceState(null, '', addressOf(settings));
}

/**
 * After an edit: the address bar follows the fields (so a copied link shares what is typed), the
 * results are marked out of date while the fields differ from the run's, and the request budget
 * is checked again.
 */
function fieldsChanged() {
  if (rebuilding) return;
  const settings = formSettings();
  writeUrl(settings);
  const stale = shownSettings !== null && JSON.stringify(settings) !== JSON.stringify(shownSettings);
  $('results').classList.toggle('stale', stale);
  $('stale-note').hidden = !stale;
  checkBudget();
}

/**
 * Under `rate` and `duration_s` (lessons that have both): the most requests they can issue and
 * the core's budget, named before a run that the core would refuse.
 */
let budgetAsked = 0;
async function checkBudget() {
  // Only the latest edit's answer is shown: an older one arriving late would put back a line
  // for values no longer in the fields (and move the Run button under the pointer).
  const asked = ++budgetAsked;
  const box = $('budget');
  const has = (n) => specs.some((s) => s.name === n);
  const [rate, duration] = ['p-rate', 'p-duration_s'].map((id) => document.getElementById(id)?.value.trim() ?? '');
  // Without both numbers there is no bound to show (an empty field gets the core's own message).
  if (!has('rate') || !has('duration_s') || !rate || !duration || !Number.isFinite(Number(rate) + Number(duration))) {
    box.hidden = true;
    return;
  }
  const { most, limit } = await checks.call('requestBudget', [Number(rate), Number(duration)]);
  if (asked !== budgetAsked) return;
  const over = most > limit;
  const n = (x) => x.toLocaleString('en');
  box.hidden = false;
  box.classList.toggle('error', over);
  box.textContent = over
    ? `rate × duration_s is too large: up to ${n(most)} requests, over the budget of ${n(limit)} per variant; lower rate or duration_s.`
    : `rate × duration_s: up to ${n(most)} requests (budget ${n(limit)} per variant).`;
  for (const name of ['rate', 'duration_s']) {
    const input = $(`p-${name}`);
    if (over) input.setAttribute('aria-invalid', 'true');
    else if (!$(`e-${name}`).textContent) input.removeAttribute('aria-invalid');
  }
}

function renderTable({ head, rows, caption }) {
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
  const parts = caption ? [Object.assign(document.createElement('caption'), { textContent: caption })] : [];
  $('table').replaceChildren(...parts, thead, tbody);
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

/**
 * Runs the current lesson's experiment; resolves to `{report, settings}` (settings go in the URL).
 * A replay hands its partial reports to `onPartial` as its policies finish.
 */
async function runLesson(onProgress, onPartial) {
  if (lesson.kind === 'replay') {
    clearFieldErrors();
    const { report, query } = await runReplay(runs, onProgress, onPartial);
    return { report, settings: query };
  }
  const form = await readForm();
  if (!form) return null;
  const report = lesson.runFn === 'scenarioStart'
    ? await runVariants(form, onProgress, onPartial)
    : await runs.call(lesson.runFn, lesson.runArgs(lesson, form.params, form.seed), onProgress);
  return { report, settings: { ...form.params, seed: String(form.seed) } };
}

/**
 * A scenario lesson's run: one call per variant, spread over the sweep's workers (replay.js). A
 * variant's numbers depend only on the parameters, its place in the scenario and the seed (the
 * core's ScenarioRun steps them one by one), so the report is the one a single call gives; the
 * chart is drawn as soon as the first variant is in, and grows with the next ones, in order.
 */
async function runVariants({ params, seed }, onProgress, onPartial) {
  const chosen = lesson.variants?.length ? lesson.variants : null;
  const names = (scenarioList.find((s) => s.name === lesson.scenario)?.variants ?? []).map((v) => v.name).filter((n) => !chosen || chosen.includes(n));
  const arrived = [];
  let shown = 0;
  const merged = (parts) => ({ ...parts[0], variants: parts.flatMap((p) => p.variants) });
  const parts = await sweep(runs, names.map((name, i) => [name, i]), (worker, [name, i]) =>
    worker.call(lesson.runFn, lesson.runArgs({ ...lesson, variants: [name] }, params, seed)).then((part) => {
      arrived[i] = part;
      onProgress(arrived.filter(Boolean).length / names.length);
      // Only the variants before the first missing one: the chart keeps the scenario's order.
      let ready = shown;
      while (arrived[ready]) ready++;
      if (ready > shown && ready < names.length) onPartial(merged(arrived.slice(0, (shown = ready))));
      return part;
    }),
  );
  return merged(parts);
}

async function run() {
  setStatus('running', 'running…');
  $('run').disabled = true;
  const progress = progressUi();
  const ranFor = lesson;
  let drewPartial = false;
  // The sentences under the last complete run, put back with it if this run does not complete.
  const shownNotice = $('notice-line').textContent;
  try {
    // A replay's chart is drawn as its first policies finish, a scenario's as its first variants
    // do; the table and the rest wait for all.
    const done = await runLesson(progress.update, (partial) => {
      if (lesson !== ranFor) return;
      if (!drewPartial) {
        // The previous run's table and sentences do not describe the growing chart.
        $('table').replaceChildren();
        $('notice-line').textContent = '';
      }
      drewPartial = true;
      $('results').hidden = false;
      drawCharts(lesson.charts(partial));
    });
    // The learner moved to another lesson (or back) meanwhile: that lesson's own run shows.
    if (!done || lesson !== ranFor) return;
    const { report, settings } = done;
    lastReport = report;
    lastReportFor = lesson;
    window.cachelabLastReport = report;
    writeUrl(settings);
    shownSettings = formSettings();
    $('results').classList.remove('stale');
    $('stale-note').hidden = true;
    $('results').hidden = false;
    showRun(report);
    renderMonitoring($('monitoring'), report, report.params?.bucket_ms ?? 1000);
    renderStepLog($('events'), report);
    // The lesson's sentences and claims are the core's (a replay has no lesson run in the core).
    const evaluation = lesson.kind === 'replay' ? null : JSON.parse(await runs.call('lessonEvaluate', [lesson.id, JSON.stringify(report)]));
    $('notice-line').textContent = evaluation
      ? [...evaluation.notice].filter(Boolean).join(' ')
      : lesson.notice?.(report) ?? '';
    course.showEvaluation(evaluation);
    for (const b of [$('export-json'), $('export-csv')]) b.disabled = false;
    setStatus('ready', settings.seed ? `done (seed ${settings.seed})` : 'done');
  } catch (e) {
    // A partial chart is no result: the last complete run comes back, or none is shown.
    if (drewPartial && lesson === ranFor) {
      if (lastReportFor === lesson) {
        showRun(lastReport);
        $('notice-line').textContent = shownNotice;
      } else {
        $('results').hidden = true;
      }
    }
    if (e.message === 'cancelled') setStatus('cancelled', 'cancelled: the last complete run is still shown');
    else showError(e.message);
  } finally {
    // Cancel hides itself: the focus it had goes back to the form, not to the page's body.
    const cancelHadFocus = document.activeElement === $('cancel');
    progress.done();
    $('run').disabled = false;
    if (cancelHadFocus) $('run').focus();
  }
}

/** A complete run's charts and table (with the variants' descriptions), replacing what was shown. */
function showRun(report) {
  drawCharts(lesson.charts(report));
  lesson.decorate?.($('charts'), report);
  renderTable(lesson.table(report));
  course.annotateVariants();
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
  const plots = chartSpecs.map((spec, i) => draw($('charts').children[i].lastChild, spec));
  // coursepage: a click on a chart starts the step log at that instant (lessons that have one).
  if (specs.some((s) => s.name === 'event_log_from_s')) {
    for (const plot of plots) clickToLog(plot, logFrom);
  }
}

/** Starts the step log at `seconds` (turning it on if it was off) and runs again. */
function logFrom(seconds) {
  $('p-event_log_from_s').value = String(seconds);
  const size = $('p-event_log');
  if (Number(size.value) === 0) size.value = '500';
  $('p-event_log_from_s').closest('details')?.setAttribute('open', '');
  fieldsChanged();
  run().then(() => $('events').scrollIntoView({ block: 'start' }));
}

/** Offers `text` as a file download. */
function download(name, type, text) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = Object.assign(document.createElement('a'), { href: url, download: name });
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** What the link said that the page could not use, each bad value named with its field. */
function linkNotes(query, { invalid, unknown }) {
  const shown = (name) => {
    const v = query.get(name) ?? '';
    return `${name}=${v.length > 40 ? `${v.slice(0, 40)}…` : v}`;
  };
  const rule = (name) => {
    const k = specs.find((s) => s.name === name);
    if (name === 'seed') return `a whole number from 0 to ${MAX_SEED}; seed 1 is used`;
    if (k) return `${k.integer ? 'a whole number' : 'a number'} from ${k.min} to ${k.max}; the default ${k.default} is used`;
    return 'too long; the default is used';
  };
  return [
    ...invalid.map((n) => `The link's ${shown(n)} is not allowed (${rule(n)}).`),
    ...unknown.map((n) => `The link's ${shown(n)} is not a setting of this lesson; it was ignored.`),
  ];
}

async function selectLesson(next, query, notes = [], { fromCourse = false } = {}) {
  lesson = next;
  shownSettings = null;
  $('results').classList.remove('stale');
  $('stale-note').hidden = true;
  clearFieldErrors();
  $('lesson-title').textContent = lesson.title;
  $('lesson-select').value = lesson.id;
  course.showLesson(lesson, lessons, { scenarios: scenarioList, pick: pickLesson, tryThis, query });
  // A page-only lesson's probe (its answers and claims) runs now if the lesson starts no run, else
  // once the run is over: the two would share the CPU, and the run's chart is what shows first.
  const shown = lesson;
  const probe = () => course.runProbe(shown, { runs, consoleCore });
  // coursepage: each glossary term a button, once per lesson.
  const seen = new Set();
  $('glossary-panel').hidden = true;
  $('lesson-text').replaceChildren(...lesson.text.map((t) => {
    const p = document.createElement('p');
    p.append(...linkTerms(t, $('glossary-panel'), seen));
    return p;
  }));
  specs = lesson.specs;
  const isConsole = lesson.kind === 'console';
  const isInside = lesson.kind === 'inside';
  $('console').hidden = !isConsole;
  if (isInside) await openPanel('inside');
  if (insideStarted) insidePanel.show(isInside);
  if (lesson.id === 'keys') openPanel('keys');
  keysPanel.showFor(lesson.id === 'keys');
  $('knobs').hidden = isConsole || isInside;
  $('results').hidden = isConsole || isInside;
  $('monitoring').hidden = true;
  $('notice-line').textContent = '';
  if (isConsole || isInside) {
    showNotice(notes.join(' '));
    $('budget').hidden = true;
    writeUrl({});
    setStatus('ready', '');
    // The console is ready once its model is up: its probe (in the console's worker) and, on the
    // first visit, caching the site for offline use (after main) wait for that.
    if (isConsole) await consolePanel.ready();
    probe();
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
  const link = await runs.call('decodeLink', [query.toString(), knobs, [...(isReplay ? ['policies', 'sizes'] : []), ...course.guessNames(lesson)]]);
  const values = new Map(Object.entries(link.values));
  buildFields(values);
  $('seed').value = values.get('seed') ?? '1';
  showNotice([...notes, ...linkNotes(query, link)].join(' '));
  writeUrl(formSettings());
  checkBudget();
  // Opened from the course (not from a link): the question comes before the first run, which
  // starts once the learner has guessed (or pressed Run).
  if (fromCourse && course.unanswered(lesson)) {
    lastReport = null;
    for (const id of ['charts', 'table', 'events']) $(id).replaceChildren();
    $('results').hidden = true;
    setStatus('ready', 'Make your guess above, then the run starts (or press Run).');
    probe();
    return;
  }
  await run();
  probe();
}

/** Opens the lesson the address bar names, with its settings (on load, and on Back/Forward). */
async function openFromAddress() {
  const query = new URLSearchParams(location.search);
  query.delete('embed'); // a layout, not a setting of the lesson (see embed.js)
  const id = query.get('lesson');
  const wanted = lessons.find((l) => l.id === id);
  if (id !== null && !wanted) {
    await selectLesson(lessons[0], new URLSearchParams(), [`The link's lesson=${id} is an unknown lesson; showing “${lessons[0].title}” with its defaults.`]);
    return;
  }
  await selectLesson(wanted ?? lessons[0], query);
}

async function main() {
  setUpEmbed();
  $('lesson-text').after(glossaryPanel());
  const glossary = runs.call('glossary').catch(() => []);
  lessons = await loadLessons();
  setGlossary(await glossary);
  buildNav();
  // A sweep's helpers too (a scenario's variants, the eviction lesson's policies): a run is done
  // only once every worker is.
  $('cancel').addEventListener('click', () => sweepWorkers(runs, Infinity).forEach((w) => w.cancel()));
  $('knobs').addEventListener('input', fieldsChanged);
  $('knobs').addEventListener('change', fieldsChanged);
  window.addEventListener('popstate', openFromAddress);
  // Past the lesson navigation to the lesson itself, without a history entry for the fragment.
  $('skip-link').addEventListener('click', (e) => {
    e.preventDefault();
    $('lesson-title').focus();
  });
  $('export-json').addEventListener('click', () =>
    download(`cachelab-${lesson.id}.json`, 'application/json', JSON.stringify(lastReport, null, 2)));
  $('export-csv').addEventListener('click', () =>
    download(`cachelab-${lesson.id}.csv`, 'text/csv', lesson.csv(lastReport)));
  // A guess updates the link; the first guess of a lesson not yet run starts its run.
  $('question').addEventListener('guess', () => {
    writeUrl(formSettings());
    if ($('results').hidden && !course.unanswered(lesson) && lesson.kind !== 'console' && lesson.kind !== 'inside') run();
  });
  $('knobs').addEventListener('submit', (e) => {
    e.preventDefault();
    run();
  });
  await openFromAddress();
}

main()
  .catch((e) => setStatus('error', `the page could not start: ${e.message}`))
  // After the first run (the console: its model), so caching the site for offline use never
  // delays the first chart or the console.
  .then(registerServiceWorker);
