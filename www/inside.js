// The lesson "Inside a policy": a key sequence stepped through one or two small caches, one
// request at a time, with every structure drawn. The steps (state, evictions, the rule in words)
// come from the core's stepper, which runs the same code as the replay; they stay in the worker
// behind a handle and the page fetches one step at a time. Everything is built with
// createElement / createElementNS and textContent: no data ever goes through innerHTML.

const SVG = 'http://www.w3.org/2000/svg';
const BOX = 38;
const GAP = 6;
const PER_LINE = 11;
const SPEEDS = [['0.5', 'slow (2 s a step)'], ['1', '1 step/s'], ['2', '2 steps/s'], ['5', '5 steps/s']];
const PRESET_LABELS = {
  loop: 'a loop one key larger than the cache',
  scan: 'a scan over a hot set',
  zipf: 'a Zipf sample',
  'one-hit-wonders': 'one-hit wonders among popular keys',
};

const el = (tag, props = {}, ...children) => {
  const e = Object.assign(document.createElement(tag), props);
  e.append(...children);
  return e;
};
const svg = (tag, attrs = {}, text = null) => {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== null) e.textContent = String(text);
  return e;
};

/** What an item's mark says, short enough for a box. */
function markText(list, item) {
  if (!list.mark) return '';
  const value = item.mark === null || item.mark === undefined ? '∞' : item.mark;
  const short = { bit: 'bit', visited: 'v', freq: 'f', 'next use': 'next', estimate: 'est' }[list.mark] ?? list.mark;
  return `${short} ${value}`;
}

/** One object as a box: its key, its mark below; `role` colours it (requested, inserted). */
function box(x, y, list, item, role, onPick) {
  const g = svg('g', { class: `obj ${list.ghost ? 'ghost' : ''} ${role}`, transform: `translate(${x},${y})`, 'data-key': item.key });
  g.append(svg('rect', { width: BOX, height: BOX, rx: 4 }));
  g.append(svg('text', { x: BOX / 2, y: 17, 'text-anchor': 'middle', class: 'key' }, item.key));
  const mark = markText(list, item);
  if (mark) g.append(svg('text', { x: BOX / 2, y: 31, 'text-anchor': 'middle', class: 'mark' }, mark));
  if (onPick && !list.ghost) {
    g.setAttribute('role', 'button');
    g.setAttribute('tabindex', '0');
    g.setAttribute('aria-label', `predict ${item.key}`);
    g.classList.add('pickable');
    g.addEventListener('click', () => onPick(item.key));
    g.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' || e.key === ' ') {
        e.preventDefault();
        e.stopPropagation();
        onPick(item.key);
      }
    });
  }
  return g;
}

/** A downward arrow labelled "hand" above (x, y). */
function handArrow(x, y) {
  const g = svg('g', { class: 'hand' });
  g.append(svg('line', { x1: x, y1: y - 22, x2: x, y2: y - 4 }));
  g.append(svg('path', { d: `M${x - 5},${y - 10} L${x},${y - 2} L${x + 5},${y - 10} Z` }));
  g.append(svg('text', { x: x + 7, y: y - 14, class: 'hand-label' }, 'hand'));
  return g;
}

/** The title of a list: its name, share, and what its marks mean. */
function listTitle(list) {
  const parts = [list.name];
  if (list.ghost) parts.push('ghost: keys only');
  if (list.share !== null && list.share !== undefined) parts.push(`share ${list.share}`);
  parts.push(`${list.items.length} object${list.items.length === 1 ? '' : 's'}`);
  return parts.join(' · ');
}

/** A queue as rows of boxes, the end evicted from first on the left, the hand as an arrow. */
function drawRow(list, roles, onPick) {
  const lines = Math.ceil(list.items.length / PER_LINE);
  const hand = list.hand === null ? -1 : list.items.findIndex((item) => item.key === list.hand);
  const top = hand >= 0 ? 58 : 38;
  const height = top + lines * (BOX + 26) - (lines ? 14 : 26);
  const width = PER_LINE * (BOX + GAP);
  const s = svg('svg', { width, height, viewBox: `0 0 ${width} ${height}`, class: 'list row', 'data-list': list.name, role: 'group', 'aria-label': `${list.name}: ${list.items.map((i) => i.key).join(' ') || 'empty'}` });
  s.append(svg('text', { x: 0, y: 12, class: 'list-title' }, listTitle(list)));
  s.append(svg('text', { x: 0, y: 28, class: 'ends' }, list.items.length ? list.order : '(empty)'));
  list.items.forEach((item, i) => {
    const x = (i % PER_LINE) * (BOX + GAP);
    const y = top + Math.floor(i / PER_LINE) * (BOX + 26);
    s.append(box(x, y, list, item, roles(item.key), onPick));
    if (i === hand) s.append(handArrow(x + BOX / 2, y));
  });
  return s;
}

/** A ring as a circle of boxes, oldest at the hand, with the hand as an arrow from the centre. */
function drawRing(list, roles, onPick) {
  const n = list.items.length;
  const radius = Math.max(78, (n * (BOX + GAP + 10)) / (2 * Math.PI));
  const size = 2 * radius + BOX + 40;
  const c = size / 2;
  const s = svg('svg', { width: Math.max(size, 260), height: size + 20, viewBox: `0 0 ${Math.max(size, 260)} ${size + 20}`, class: 'list ring', 'data-list': list.name, role: 'group', 'aria-label': `${list.name}: ${list.items.map((i) => i.key).join(' ') || 'empty'}` });
  s.append(svg('text', { x: 0, y: 12, class: 'list-title' }, listTitle(list)));
  s.append(svg('text', { x: 0, y: 28, class: 'ends' }, n ? `clockwise from the hand: ${list.order}` : '(empty)'));
  s.append(svg('circle', { cx: c, cy: c + 20, r: radius, class: 'track' }));
  list.items.forEach((item, i) => {
    // Clockwise from the top; the hand points at the oldest, index 0.
    const angle = -Math.PI / 2 + (2 * Math.PI * i) / Math.max(n, 1);
    const x = c + radius * Math.cos(angle) - BOX / 2;
    const y = c + 20 + radius * Math.sin(angle) - BOX / 2;
    s.append(box(x, y, list, item, roles(item.key), onPick));
  });
  if (n && list.hand !== null) {
    const i = Math.max(0, list.items.findIndex((item) => item.key === list.hand));
    const angle = -Math.PI / 2 + (2 * Math.PI * i) / n;
    const reach = radius - BOX / 2 - 6;
    const [x2, y2] = [c + reach * Math.cos(angle), c + 20 + reach * Math.sin(angle)];
    const g = svg('g', { class: 'hand' });
    g.append(svg('line', { x1: c, y1: c + 20, x2, y2 }));
    g.append(svg('circle', { cx: x2, cy: y2, r: 4 }));
    g.append(svg('text', { x: c + 6, y: c + 16, class: 'hand-label' }, 'hand'));
    s.append(g);
  }
  return s;
}

/** Draws a snapshot: every list, then the named values (ARC's p). */
export function drawState(state, roles = () => '', onPick = null) {
  const wrap = el('div', { className: 'state' });
  for (const list of state.lists) {
    wrap.append((list.shape === 'ring' ? drawRing : drawRow)(list, roles, onPick));
  }
  if (state.values.length) {
    wrap.append(el('p', { className: 'values', textContent: state.values.map((v) => `${v.name} = ${Number(v.value.toFixed(3))}`).join(', ') }));
  }
  return wrap;
}

/** One policy's pane: its stepper handle, the fetched steps, and its drawing. */
class Pane {
  constructor(core, policy, handle) {
    Object.assign(this, { core, policy, handle, steps: new Map(), initial: null });
    this.root = el('section', { className: 'pane' });
    this.root.dataset.policy = policy;
  }

  async step(i) {
    if (i < 0) {
      this.initial ??= await this.core.call(`${this.handle}.initial`);
      return null;
    }
    if (!this.steps.has(i)) this.steps.set(i, await this.core.call(`${this.handle}.at`, [i]));
    return this.steps.get(i);
  }

  async state(i) {
    return i < 0 ? (await this.step(-1), this.initial) : (await this.step(i)).state;
  }

  /** Shows the state after step `i` (-1: empty), or before step `i + 1` with pickable objects. */
  async show(i, pick = null) {
    const step = await this.step(i);
    const state = await this.state(i);
    const roles = (key) => (step && key === step.key ? (step.hit ? 'hit' : 'inserted') : '');
    const head = el('h3', { textContent: this.policy });
    let line = 'Empty cache: press → (or Step) to send the first request.';
    if (step) {
      // Requests are numbered from 0, as `cachelab step` prints them and Belady's next uses count.
      const inserted = step.inserted === null ? '' : `, inserted ${step.inserted}`;
      const evicted = step.evicted.length ? `, evicted ${step.evicted.join(', ')}` : '';
      line = `#${step.index}: key ${step.key} — ${step.hit ? 'hit' : 'miss'}${inserted}${evicted}.`;
    }
    const outcome = el('p', { className: `outcome ${step ? (step.hit ? 'was-hit' : 'was-miss') : ''}`, textContent: line });
    const reason = el('p', { className: 'reason', textContent: step ? step.reason : '' });
    this.root.dataset.step = String(i);
    this.root.dataset.evicted = step ? step.evicted.join(' ') : '';
    this.root.dataset.hit = step ? String(step.hit) : '';
    this.root.replaceChildren(head, outcome, reason, drawState(state, roles, pick));
  }

  free() {
    this.core.call(`${this.handle}.free`).catch(() => {});
  }
}

/** The lesson's panel: inputs, transport, the sequence strip and one or two panes. */
export class InsidePanel {
  #core;
  #panes = [];
  #keys = [];
  #at = -1;
  #timer = null;
  #guess = null;
  #busy = Promise.resolve();

  constructor(core) {
    this.#core = core;
    this.root = el('section', { id: 'inside', className: 'inside', hidden: true });
    this.root.setAttribute('aria-label', 'inside a policy');
    document.addEventListener('keydown', (e) => this.#onKey(e));
  }

  /** Builds the inputs from the core's lists of policies and presets. */
  async start(policies) {
    const presets = await this.#core.call('stepPresets');
    const options = (values, labels = {}) => values.map((v) => el('option', { value: v, textContent: labels[v] ?? v }));
    this.preset = el('select', { id: 'inside-preset' }, ...options(presets, PRESET_LABELS), el('option', { value: 'typed', textContent: 'my own keys (typed below)' }));
    this.typed = el('input', { id: 'inside-keys', value: '1 2 3 4 1 2 5 1 2 3 4 5', spellcheck: false });
    this.size = el('input', { id: 'inside-size', type: 'number', min: 1, max: 64, step: 1, value: 4 });
    this.policyA = el('select', { id: 'inside-policy-a' }, ...options(policies));
    this.policyB = el('select', { id: 'inside-policy-b' }, el('option', { value: '', textContent: '(none)' }), ...options(policies));
    this.preset.value = 'scan';
    this.policyA.value = 'lru';
    this.policyB.value = 'sieve';
    this.speed = el('select', { id: 'inside-speed' }, ...SPEEDS.map(([v, t]) => el('option', { value: v, textContent: t })));
    this.speed.value = '1';
    this.predict = el('input', { id: 'inside-predict', type: 'checkbox' });
    this.error = el('span', { className: 'error', id: 'inside-error' });
    this.error.setAttribute('aria-live', 'polite');
    const field = (label, input, hint = '') => el('div', { className: 'field' }, el('label', { htmlFor: input.id, textContent: label }), input, ...(hint ? [el('span', { className: 'hint', textContent: hint })] : []));
    const load = el('button', { type: 'button', id: 'inside-load', textContent: 'Load' });
    load.addEventListener('click', () => this.load());
    this.preset.addEventListener('change', () => this.load());
    for (const input of [this.size, this.policyA, this.policyB]) input.addEventListener('change', () => this.load());
    this.typed.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') {
        this.preset.value = 'typed';
        this.load();
      }
    });
    this.back = el('button', { type: 'button', id: 'inside-back', textContent: '← Back' });
    this.forward = el('button', { type: 'button', id: 'inside-step', textContent: 'Step →' });
    this.play = el('button', { type: 'button', id: 'inside-play', textContent: '▶ Play' });
    this.back.addEventListener('click', () => this.go(this.#at - 1));
    this.forward.addEventListener('click', () => this.go(this.#at + 1));
    this.play.addEventListener('click', () => this.toggle());
    this.position = el('span', { id: 'inside-position', className: 'status' });
    this.strip = el('ol', { className: 'strip', id: 'inside-strip' });
    this.strip.setAttribute('aria-label', 'the key sequence');
    this.prompt = el('p', { id: 'inside-prompt', className: 'prompt', hidden: true });
    this.verdict = el('p', { id: 'inside-verdict', className: 'verdict', hidden: true });
    this.verdict.setAttribute('aria-live', 'polite');
    this.panes = el('div', { className: 'panes', id: 'inside-panes' });
    this.root.append(
      el('fieldset', {},
        el('legend', { textContent: 'Sequence and caches' }),
        el('div', { className: 'fields' },
          field('sequence', this.preset),
          field('keys', this.typed, 'numbers separated by spaces or commas, up to 2000'),
          field('cache size (objects)', this.size, '1 to 64'),
          field('policy', this.policyA),
          field('beside it', this.policyB),
        ),
        load, this.error),
      el('div', { className: 'transport' },
        this.back, this.play, this.forward,
        field('speed', this.speed),
        el('label', { className: 'predict' }, this.predict, ' predict the victim'),
        this.position),
      el('p', { className: 'hint', textContent: 'Keyboard: ← and → step, space plays and pauses. With “predict the victim” on, a miss that evicts stops first: click the object you expect to go.' }),
      this.strip, this.prompt, this.verdict, this.panes,
    );
  }

  show(visible) {
    this.root.hidden = !visible;
    if (!visible) this.pause();
  }

  /** Steps the chosen sequence through the chosen policies (in the worker). */
  async load() {
    this.pause();
    this.error.textContent = '';
    const size = Number(this.size.value);
    const keys = this.preset.value === 'typed' ? this.typed.value : this.preset.value;
    const policies = [this.policyA.value, this.policyB.value].filter((p, i) => p && (i === 0 || p !== this.policyA.value));
    document.body.dataset.state = 'running';
    try {
      const panes = [];
      for (const policy of policies) {
        const handle = await this.#core.call('new Stepper', [policy, size, keys, 1n]);
        panes.push(new Pane(this.#core, policy, handle));
      }
      for (const p of this.#panes) p.free();
      this.#panes = panes;
      this.#keys = Array.from(await this.#core.call(`${panes[0].handle}.keys`));
      if (this.preset.value !== 'typed') this.typed.value = this.#keys.join(' ');
      this.strip.replaceChildren(...this.#keys.map((k, i) => el('li', { textContent: String(k), id: `inside-k${i}`, title: `request #${i}` })));
      this.panes.replaceChildren(...panes.map((p) => p.root));
      await this.go(-1);
      document.body.dataset.state = 'ready';
    } catch (e) {
      this.error.textContent = e.message;
      document.body.dataset.state = 'error';
    }
  }

  /** Moves to step `i` (-1 = before the first request), asking for a prediction first if wanted. */
  go(i) {
    this.#busy = this.#busy.then(() => this.#go(i)).catch((e) => {
      this.error.textContent = e.message;
    });
    return this.#busy;
  }

  async #go(i) {
    if (!this.#panes.length) return;
    const last = this.#keys.length - 1;
    i = Math.max(-1, Math.min(i, last));
    this.verdict.hidden = true;
    const [first] = this.#panes;
    if (i === this.#at + 1 && i >= 0 && this.predict.checked && this.#guess === null) {
      const next = await first.step(i);
      if (next.evicted.length) {
        // Stop before the evicting miss: the learner picks, then the step is revealed.
        this.pause();
        this.#guess = i;
        this.prompt.textContent = `Key ${next.key} misses and the cache is full: which object will ${first.policy} evict? Click it.`;
        this.prompt.hidden = false;
        await first.show(this.#at, (key) => this.#answer(key));
        return;
      }
    }
    this.#guess = null;
    this.prompt.hidden = true;
    this.#at = i;
    for (const p of this.#panes) await p.show(i);
    this.#mark();
    if (i >= last) this.pause();
  }

  async #answer(key) {
    const i = this.#guess;
    const [first] = this.#panes;
    const step = await first.step(i);
    this.#guess = null;
    this.prompt.hidden = true;
    this.#at = i;
    for (const p of this.#panes) await p.show(i);
    this.#mark();
    const right = step.evicted.includes(key);
    this.verdict.className = `verdict ${right ? 'right' : 'wrong'}`;
    this.verdict.textContent = `${right ? 'Right' : 'Not this time'}: you picked ${key}, ${first.policy} evicted ${step.evicted.join(', ')}. ${step.reason}`;
    this.verdict.hidden = false;
  }

  #mark() {
    this.position.textContent = this.#at < 0 ? `before request #0 (of ${this.#keys.length})` : `request #${this.#at} (${this.#at + 1} of ${this.#keys.length})`;
    this.position.dataset.at = String(this.#at);
    [...this.strip.children].forEach((li, k) => li.classList.toggle('now', k === this.#at));
    this.back.disabled = this.#at < 0;
    this.forward.disabled = this.#at >= this.#keys.length - 1;
  }

  toggle() {
    if (this.#timer) this.pause();
    else this.resume();
  }

  resume() {
    if (this.#at >= this.#keys.length - 1) this.go(-1);
    this.play.textContent = '⏸ Pause';
    this.play.setAttribute('aria-pressed', 'true');
    const tick = async () => {
      await this.go(this.#at + 1);
      if (this.#timer) this.#timer = setTimeout(tick, 1000 / Number(this.speed.value));
    };
    this.#timer = setTimeout(tick, 1000 / Number(this.speed.value));
  }

  pause() {
    clearTimeout(this.#timer);
    this.#timer = null;
    this.play.textContent = '▶ Play';
    this.play.setAttribute('aria-pressed', 'false');
  }

  #onKey(e) {
    if (this.root.hidden || e.altKey || e.ctrlKey || e.metaKey) return;
    const tag = e.target?.tagName;
    if (tag === 'INPUT' || tag === 'SELECT' || tag === 'TEXTAREA' || tag === 'BUTTON') {
      if (!(tag === 'BUTTON' && e.key !== ' ' && e.key !== 'Enter')) return;
    }
    if (e.key === 'ArrowRight') this.go(this.#at + 1);
    else if (e.key === 'ArrowLeft') this.go(this.#at - 1);
    else if (e.key === ' ') this.toggle();
    else return;
    e.preventDefault();
  }
}

/**
 * The eviction lesson's stacked bars: for each policy at one cache size, its misses split into
 * compulsory, capacity and policy misses (`report.classes`: rows with `compulsory_misses`), as
 * shares of requests.
 */
export function missClassBars(report) {
  const at = report.classes ?? [];
  if (!at.length) return null;
  const cap = at[0].capacity;
  const scale = Math.max(...at.map((r) => r.misses / r.requests), 1e-9);
  const width = 560;
  const label = 90;
  const height = 24 * at.length + 50;
  const s = svg('svg', { width: label + width + 60, height, viewBox: `0 0 ${label + width + 60} ${height}`, class: 'miss-classes', role: 'img', 'aria-label': `misses by cause at ${cap} ${at[0].unit}` });
  const kinds = [['compulsory_misses', 'compulsory'], ['capacity_misses', 'capacity'], ['policy_misses', 'policy']];
  at.forEach((r, k) => {
    const y = 10 + 24 * k;
    s.append(svg('text', { x: 0, y: y + 14, class: 'bar-label' }, r.policy));
    let x = label;
    for (const [field, name] of kinds) {
      const w = (width * r[field]) / r.requests / scale;
      const rect = svg('rect', { x, y, width: Math.max(0, w), height: 18, class: `cls-${name}`, 'data-policy': r.policy, 'data-class': name });
      rect.append(svg('title', {}, `${r.policy}: ${r[field]} ${name} misses`));
      s.append(rect);
      x += w;
    }
    s.append(svg('text', { x: x + 4, y: y + 14, class: 'bar-value' }, `${((100 * r.misses) / r.requests).toFixed(1)}%`));
  });
  const ly = 10 + 24 * at.length + 8;
  kinds.forEach(([, name], k) => {
    s.append(svg('rect', { x: label + 170 * k, y: ly, width: 12, height: 12, class: `cls-${name}` }));
    s.append(svg('text', { x: label + 170 * k + 16, y: ly + 11, class: 'legend' }, `${name} misses`));
  });
  const figure = el('figure', { className: 'chart' });
  figure.append(el('h3', { textContent: `why each miss happened, at ${cap} ${at[0].unit}: compulsory (first request), capacity (Belady misses it too), policy (Belady hits it)` }), s);
  return figure;
}
