// The course around a lesson: the navigation grouped by part in course order, where the learner
// is, previous/next, "In the chapter: …", each variant's one-line description (from the core's
// scenario list), the code sketches and "differs" notes, the "try this" buttons, the question
// asked before the first run (the learner's guess kept beside the answer read from the run), and
// the lesson's claims as held / not held. Every word comes from the core's lesson files
// (`lessons/*.json`); nothing here goes through innerHTML.

import { fetchBundled } from './replay.js';

const $ = (id) => document.getElementById(id);
const el = (tag, props = {}, ...children) => {
  const e = Object.assign(document.createElement(tag), props);
  e.append(...children);
  return e;
};

// The learner's guesses, by lesson id and question number: only in this page's memory (and the
// address bar, as guess0, guess1, …), never stored anywhere else.
const guesses = new Map();
let current = null;
let about = new Map();
let lastEvaluation = null;
// A page-only lesson's evaluation of its probe (see runProbe), kept while the lesson is shown.
let probeEvaluation = null;

/** The address bar's names for the current lesson's guesses (passed through the link decoder). */
export function guessNames(lesson) {
  return (lesson.questions ?? []).map((_, i) => `guess${i}`);
}

/** The guesses of the current lesson as address-bar settings. */
export function guessSettings() {
  if (!current) return {};
  const out = {};
  (current.questions ?? []).forEach((_, i) => {
    const g = guesses.get(`${current.id}:${i}`);
    if (g !== undefined) out[`guess${i}`] = g;
  });
  return out;
}

/** Whether the learner has yet to answer one of the current lesson's questions. */
export function unanswered(lesson) {
  return (lesson.questions ?? []).some((_, i) => !guesses.has(`${lesson.id}:${i}`));
}

/**
 * The course navigation: one group per part, in course order, each lesson a button
 * (`data-lesson`), `pick(lesson)` on a click.
 */
export function renderNav(lessons, pick) {
  const parts = [];
  for (const l of lessons) {
    if (parts.at(-1)?.name !== l.part) parts.push({ name: l.part, lessons: [] });
    parts.at(-1).lessons.push(l);
  }
  $('lessons').replaceChildren(
    ...parts.map((p, i) => {
      const group = el('div', { className: 'part' });
      group.setAttribute('role', 'group');
      const title = el('span', { className: 'part-title', id: `part-${i}`, textContent: `${i + 1}. ${p.name}` });
      group.setAttribute('aria-labelledby', title.id);
      group.append(
        title,
        ...p.lessons.map((l) => {
          // The part of the title before its colon ("Stampede"), the whole title as its tooltip.
          const b = el('button', { type: 'button', textContent: l.title.split(':')[0], title: l.title });
          b.dataset.lesson = l.id;
          b.addEventListener('click', () => pick(l));
          return b;
        }),
      );
      return group;
    }),
  );
}

/**
 * Shows `lesson` as the current one of `lessons`: the navigation's mark, where the learner is,
 * previous/next, the chapter section, the sketches and notes, the experiments and the questions.
 * `scenarios` is the core's scenario list (for the variants' descriptions); `pick(lesson)` opens
 * another lesson; `tryThis(settings)` sets parameters and runs; `query` the address bar's.
 */
export function showLesson(lesson, lessons, { scenarios, pick, tryThis, query }) {
  current = lesson;
  lastEvaluation = null;
  probeEvaluation = null;
  const meta = scenarios.find((s) => s.name === lesson.scenario);
  about = new Map((meta?.variants ?? []).map((v) => [v.name, v.about]));
  for (const [i] of (lesson.questions ?? []).entries()) {
    const g = query.get(`guess${i}`);
    if (g) guesses.set(`${lesson.id}:${i}`, g);
  }
  for (const b of $('lessons').querySelectorAll('button[data-lesson]')) {
    if (b.dataset.lesson === lesson.id) b.setAttribute('aria-current', 'page');
    else b.removeAttribute('aria-current');
  }
  const at = lessons.indexOf(lesson);
  const parts = [...new Set(lessons.map((l) => l.part))];
  $('course-where').textContent = `Lesson ${at + 1} of ${lessons.length} · part ${parts.indexOf(lesson.part) + 1} of ${parts.length}: ${lesson.part}`;
  $('lesson-chapter').textContent = `In the chapter: ${lesson.chapter}`;
  renderPrevNext(lessons[at - 1], lessons[at + 1], pick);
  renderSketches(lesson);
  renderExperiments(lesson, tryThis);
  renderQuestions(lesson);
  $('claims').replaceChildren();
  $('claims').hidden = true;
}

/**
 * A page-only lesson's answers and claims: the core runs its probe (the console's script, a
 * replay of the bundled trace, a stepped sequence) in the module of its kind, and evaluates the
 * lesson on the probe's report. The answers show as the learner guesses, the claims once every
 * question has a guess. `runs` evaluates it (and runs the replay or step probes); a console
 * probe runs in `consoleCore`, the console panel's worker, which has its module already.
 */
export async function runProbe(lesson, { runs, consoleCore }) {
  const { probe } = lesson;
  if (!probe || current !== lesson) return;
  try {
    let report;
    if (probe.console) report = await consoleCore.call('consoleProbe', [probe]);
    else if (probe.replay) {
      report = await runs.call('traceProbe', [probe, await fetchBundled(probe.replay.trace)]);
    } else report = await runs.call('traceProbe', [probe, null]);
    const evaluation = JSON.parse(await runs.call('lessonEvaluate', [lesson.id, JSON.stringify(report)]));
    if (current !== lesson) return;
    probeEvaluation = evaluation;
    lastEvaluation = evaluation;
    showAnswers();
    if (!unanswered(lesson)) showClaims(evaluation);
  } catch (e) {
    if (current !== lesson) return;
    $('claims').replaceChildren(el('p', { className: 'problem', textContent: `The answers could not be computed: ${e.message}` }));
    $('claims').hidden = false;
  }
}

function renderPrevNext(prev, next, pick) {
  const link = (l, rel, label) => {
    if (!l) return el('span', { className: `prevnext-${rel} none` });
    const b = el('button', { type: 'button', className: `prevnext-${rel}`, textContent: `${label} ${l.title}` });
    b.dataset.lesson = l.id;
    b.addEventListener('click', () => pick(l));
    return b;
  };
  $('prevnext').replaceChildren(link(prev, 'prev', '← Previous:'), link(next, 'next', 'Next:'));
  // The lesson's last words: what to try next.
  $('prevnext').prepend(el('p', { className: 'try-next', textContent: current?.next ?? '' }));
}

/** A variant's name with its description from the core. */
function variantName(name) {
  const box = el('span', { className: 'variant-name' }, el('code', { textContent: name }));
  const text = about.get(name);
  if (text) box.append(el('span', { className: 'variant-about', textContent: ` — ${text}` }));
  return box;
}

/**
 * One line of a sketch. A line too long for its column wraps inside the box (the column beside
 * the charts is about 60 characters wide at 1280 px) and goes on four columns past its own
 * indentation, as Python continues a line, so the block structure stays readable.
 */
function codeLine(line) {
  // A comment aligned far right for a wide screen keeps PEP 8's two spaces: in a narrow box the
  // alignment would only push it onto a line of its own.
  const text = line.replace(/(\S) {3,}#/, '$1  #');
  const hang = text.length - text.trimStart().length + 4;
  return el('span', { className: 'line', textContent: text, style: `padding-left: ${hang}ch; text-indent: -${hang}ch` });
}

function renderSketches(lesson) {
  const sketches = lesson.sketches ?? [];
  const blocks = sketches.map((s) => el(
    'figure',
    { className: 'sketch' },
    el('figcaption', {}, s.variant ? variantName(s.variant) : el('span', { textContent: 'the idea, in Python' })),
    el('pre', {}, el('code', { className: 'language-python' }, ...s.code.map(codeLine))),
  ));
  const differs = (lesson.differs ?? []).length
    ? [el('h3', { textContent: 'Where cachelab differs from the chapter' }), el('ul', { className: 'differs' }, ...lesson.differs.map((d) => el('li', { textContent: d })))]
    : [];
  // "Each variant" only where the sketches are of variants (the console's is of the idea).
  const title = sketches.some((s) => s.variant) ? 'What each variant does (Python, in the chapter\u2019s style)' : 'The idea in Python, in the chapter\u2019s style';
  const heading = blocks.length ? [el('h3', { textContent: title })] : [];
  // Beside the charts when the lesson has a run; at the lesson's end otherwise (console, inside).
  const hasRun = lesson.kind === 'scenario' || lesson.kind === 'curve' || lesson.kind === 'replay';
  if (hasRun) document.querySelector('.figures').append($('sketches'));
  else $('prevnext').before($('sketches'));
  $('sketches').replaceChildren(...heading, ...blocks, ...differs);
  $('sketches').hidden = !blocks.length && !differs.length;
}

function renderExperiments(lesson, tryThis) {
  const list = lesson.experiments ?? [];
  $('experiments').replaceChildren(
    ...(list.length ? [el('h3', { textContent: 'Try this' })] : []),
    ...list.map((e, i) => {
      const set = Object.entries(e.set).map(([k, v]) => `${k}=${v}`).join(', ');
      const b = el('button', { type: 'button', className: 'try', textContent: e.label });
      b.dataset.experiment = String(i);
      b.addEventListener('click', () => tryThis(e.set));
      return el('div', { className: 'experiment' }, b, el('span', { className: 'try-set', textContent: ` (${set}) ` }), el('span', { className: 'try-look', textContent: e.look }));
    }),
  );
  $('experiments').hidden = !list.length;
}

/** The choices of question `q`: the scenario's variants (those the lesson runs), or its labels. */
function choicesOf(lesson, q) {
  if (q.choices?.length) return q.choices.map((c) => c.label);
  return lesson.variants?.length ? lesson.variants : [...about.keys()];
}

function renderQuestions(lesson) {
  const box = $('question');
  const qs = lesson.questions ?? [];
  box.replaceChildren(
    ...qs.map((q, i) => {
      const key = `${lesson.id}:${i}`;
      const group = el('div', { className: 'choices' });
      group.setAttribute('role', 'group');
      group.setAttribute('aria-label', q.ask);
      const answer = el('p', { className: 'answer', id: `answer-${i}` });
      answer.setAttribute('aria-live', 'polite');
      for (const c of choicesOf(lesson, q)) {
        const b = el('button', { type: 'button', textContent: c });
        b.dataset.choice = c;
        b.setAttribute('aria-pressed', String(guesses.get(key) === c));
        b.addEventListener('click', () => {
          guesses.set(key, c);
          for (const o of group.children) o.setAttribute('aria-pressed', String(o === b));
          box.dispatchEvent(new CustomEvent('guess', { detail: { question: i, choice: c } }));
          showAnswers();
          if (probeEvaluation && !unanswered(lesson)) showClaims(probeEvaluation);
        });
        group.append(b);
      }
      return el('div', { className: 'question' }, el('p', { className: 'ask', textContent: `Predict: ${q.ask}` }), group, answer);
    }),
  );
  box.hidden = !qs.length;
  showAnswers();
}

/** Each question's answer beside the learner's guess, once both exist. */
function showAnswers() {
  if (!current) return;
  (current.questions ?? []).forEach((q, i) => {
    const slot = document.getElementById(`answer-${i}`);
    if (!slot) return;
    const guess = guesses.get(`${current.id}:${i}`);
    const a = lastEvaluation?.answers?.[i];
    if (guess === undefined) {
      slot.textContent = a ? 'Pick your guess to see what the run says.' : 'Pick your guess, then run.';
      slot.className = 'answer';
      return;
    }
    if (!a) {
      slot.textContent = `Your guess: ${guess}. Run to see what happens.`;
      slot.className = 'answer';
      return;
    }
    const right = a.answer.includes(guess);
    // The reveal is the core's sentence (the CLI prints the same), so it stands as one here.
    slot.textContent = `Your guess: ${guess}. The run: ${a.answer.join(' and ')}, ${right ? 'as you guessed' : 'not what you guessed'}. ${a.reveal}`;
    slot.className = `answer ${right ? 'right' : 'wrong'}`;
  });
}

/** Claims as a list, each marked held / not held (never hidden), with its notes. */
function claimList(claims, className = 'lesson-claims') {
  return el('ul', { className }, ...claims.map((c) => {
    const mark = el('span', { className: 'mark', textContent: c.holds ? 'holds' : 'does not hold' });
    const li = el('li', { className: c.holds ? 'held' : 'not-held' }, mark, el('span', { textContent: ` ${c.text}` }));
    if (c.expect === 'often') li.append(el('span', { className: 'often', textContent: ' (this does not hold at every seed)' }));
    if (c.problem) li.append(el('span', { className: 'problem', textContent: ` (not evaluated: ${c.problem})` }));
    return li;
  }));
}

/**
 * What the core made of a run: the claims as held / not held, the claims of the "try this" whose
 * run it is (the core recognises it by its parameters), and the questions' answers.
 */
export function showEvaluation(evaluation) {
  // A replay lesson's own run has no evaluation: its probe's stays.
  if (!evaluation && probeEvaluation) {
    lastEvaluation = probeEvaluation;
    if (!unanswered(current)) showClaims(probeEvaluation);
  } else {
    lastEvaluation = evaluation;
    showClaims(evaluation);
  }
  showAnswers();
}

/** The claims of an evaluation, and those of the "try this" whose run it is. */
function showClaims(evaluation) {
  const claims = evaluation?.claims ?? [];
  const tried = evaluation?.experiment;
  const triedClaims = tried?.claims ?? [];
  $('claims').replaceChildren(
    ...(claims.length ? [el('h3', { className: 'shows', textContent: evaluation.claims_heading }), claimList(claims)] : []),
    ...(triedClaims.length ? [el('h3', { className: 'tried', textContent: `Try this: ${tried.label}` }), claimList(triedClaims, 'tried-claims')] : []),
  );
  for (const b of $('experiments').querySelectorAll('button.try')) {
    if (tried && b.dataset.experiment === String(tried.index)) b.setAttribute('aria-current', 'true');
    else b.removeAttribute('aria-current');
  }
  $('claims').hidden = !claims.length && !triedClaims.length;
}

/** Puts each variant's description beside its name in the table's first column, and on its legend labels as their tooltip. */
export function annotateVariants() {
  if (!about.size) return;
  for (const td of document.querySelectorAll('#table tbody tr > td:first-child')) {
    const text = about.get(td.textContent);
    if (text && !td.querySelector('.variant-about')) td.append(el('span', { className: 'variant-about', textContent: text }));
  }
  // A legend shows the variant's name only (a description made legends taller than their
  // charts); the description is its tooltip, and the table under the charts spells it out.
  for (const label of document.querySelectorAll('#charts .u-legend .u-label')) {
    const text = about.get(label.textContent);
    if (text) {
      label.title = text;
      label.setAttribute('aria-description', text);
    }
  }
}
