// The Redis console: commands typed here go to the L2 model (the same `Console` the CLI's
// `cachelab console` uses) and come back formatted as redis-cli prints them, `(0.60s)` line
// included. Beside it, a table of the keys with their type and TTL; simulated time only moves
// when you advance it (or run DEBUG SLEEP), so TTLs count down in simulated seconds.
//
// The session (every line and every time advance, in order) is kept in the tab's
// sessionStorage and replayed into a fresh model on reload; the same list, in a link
// (`?lesson=console&cmds=...`), replays it anywhere. The model is deterministic, so a replay
// prints exactly what the session printed.

const $ = (id) => document.getElementById(id);

/** Where the session lives in sessionStorage. */
const STORE = 'cachelab.console';
/** How a time advance is written in the session and in a replay link. */
const ADVANCE = '#advance ';

/**
 * Suggested commands: first the chapter's own `CacheService` (its `set` is SETEX, its lock is
 * SET … NX EX, `exists`, its stats endpoint reads INFO stats, and SCAN walks keys without
 * blocking the server as KEYS does), then a write-behind queue and a transaction.
 */
const CHIPS = [
  { label: 'SETEX', lines: [`SETEX user:42 300 '{"name":"Ada"}'`], note: 'CacheService.set: store a value with a TTL in seconds.' },
  { label: 'GET', lines: ['GET user:42'], note: 'CacheService.get: read it back (nil once the TTL passes).' },
  { label: 'SET … NX EX', lines: ['SET lock:user:42 1 NX EX 10'], note: 'The stampede lock: only the first caller gets OK; the lock frees itself after 10 s.' },
  { label: 'EXISTS', lines: ['EXISTS user:42'], note: 'CacheService.exists: 1 if the key is there.' },
  { label: 'SCAN', lines: ['SCAN 0 MATCH user:* COUNT 100'], note: 'Walk keys by pattern a few at a time (KEYS would block a big server).' },
  { label: 'INFO stats', lines: ['INFO stats'], note: 'The monitoring endpoint reads keyspace_hits and keyspace_misses from here.' },
  {
    label: 'write-behind queue',
    lines: [`LPUSH writes:pending '{"user":42,"name":"Ada"}'`, `LPUSH writes:pending '{"user":43,"name":"Bob"}'`, 'LLEN writes:pending', 'RPOP writes:pending'],
    note: 'Writes go to the cache at once and into a list; a worker RPOPs them, oldest first, and writes them to the database.',
  },
  {
    label: 'transaction',
    lines: ['MULTI', 'INCR page:views', 'EXPIRE page:views 60', 'EXEC'],
    note: 'MULTI queues (the prompt shows (TX)); EXEC runs the queue with nothing in between.',
  },
  { label: 'MEMORY USAGE', lines: ['MEMORY USAGE user:42', 'OBJECT ENCODING user:42'], note: "The model's memory estimate for one key, and how Redis would store it." },
  { label: 'DEBUG SLEEP 0.6', lines: ['DEBUG SLEEP 0.6'], note: 'Lets 0.6 s of simulated time pass; like redis-cli, the console prints how long it took.' },
  { label: 'HELP', lines: ['HELP'], note: 'The commands the model knows, by family; HELP SET for one of them.' },
];

export class ConsolePanel {
  #core;
  #handle = null;
  #history = [];
  #cursor = 0;
  /** Every line and advance of this session, in order (what a reload or a link replays). */
  #session = [];

  /** `core` is a `Core` (a worker of its own, so runs elsewhere cannot cancel it). */
  constructor(core) {
    this.#core = core;
  }

  /**
   * Whether this build of the core has the console (asked of the module list, without loading the
   * module). The model is made, and the session restored, the first time the console is shown:
   * its wasm module (the Redis model) is not loaded for the other lessons.
   */
  async start() {
    if (!this.#core.has('Console')) return false;
    $('console-form').addEventListener('submit', (e) => {
      e.preventDefault();
      this.#send();
    });
    $('console-input').addEventListener('keydown', (e) => this.#browseHistory(e));
    for (const b of document.querySelectorAll('[data-advance-ms]')) {
      b.addEventListener('click', () => this.advance(Number(b.dataset.advanceMs)));
    }
    $('console-chips').replaceChildren(...CHIPS.map((chip) => this.#chip(chip)));
    $('console-clear').addEventListener('click', () => this.#startOver());
    // The shared session is read now: the page rewrites its address when the lesson opens.
    const query = new URLSearchParams(location.search);
    const shared = query.get('lesson') === 'console' ? query.get('cmds') : null;
    const session = shared !== null ? shared.split('\n') : this.#stored();
    const section = $('console');
    this.#shown = new Promise((resolve) => {
      const shown = new MutationObserver(() => {
        if (section.hidden) return;
        shown.disconnect();
        resolve(this.#opened(session));
      });
      shown.observe(section, { attributes: true, attributeFilter: ['hidden'] });
    });
    return true;
  }

  #opening = null;
  /** Settles once the console is first shown and its model is up (see `ready`). */
  #shown = Promise.resolve();

  /**
   * Resolves once the model exists and `session` (on the first call: the saved or shared one) has
   * been replayed into it.
   */
  #opened(session = []) {
    this.#opening ??= (async () => {
      this.#handle = await this.#core.call('new Console');
      await this.#replay(session);
      await this.#refresh();
    })().catch((e) => this.#print(`the console could not start: ${e.message}`, 'note error'));
    return this.#opening;
  }

  /** Resolves once the console has been shown and its model is up (session replayed, clock shown). */
  ready() {
    return this.#shown;
  }

  /** Runs one command line; resolves to the reply text. */
  async exec(line) {
    await this.#opened();
    return this.#exec(line);
  }

  async #exec(line) {
    const prompt = $('console-prompt').textContent;
    const reply = await this.#core.call(`${this.#handle}.exec`, [line]);
    this.#print(`${prompt} ${line}`, 'command');
    this.#print(reply, reply.startsWith('(error)') ? 'reply error' : 'reply');
    this.#remember(line);
    await this.#refresh();
    return reply;
  }

  /** Moves simulated time forward by `ms` milliseconds. */
  async advance(ms) {
    await this.#opened();
    return this.#advance(ms);
  }

  async #advance(ms) {
    await this.#core.call(`${this.#handle}.advance`, [ms]);
    this.#print(`(simulated time advanced by ${ms / 1000} s)`, 'note');
    this.#remember(`${ADVANCE}${ms}`);
    await this.#refresh();
  }

  #chip({ label, lines, note }) {
    const b = Object.assign(document.createElement('button'), { type: 'button', textContent: label, title: lines.join('\n') });
    b.dataset.chip = label;
    b.addEventListener('click', async () => {
      $('console-chip-note').textContent = note;
      for (const line of lines) {
        this.#history.push(line);
        await this.exec(line);
      }
      this.#cursor = this.#history.length;
    });
    return b;
  }

  async #send() {
    const input = $('console-input');
    const line = input.value;
    if (!line.trim()) return;
    input.value = '';
    this.#history.push(line);
    this.#cursor = this.#history.length;
    await this.exec(line);
  }

  /** Runs a saved or shared session again, entry by entry; a bad advance is named and skipped. */
  async #replay(entries) {
    for (const entry of entries) {
      if (entry.startsWith(ADVANCE)) {
        const ms = Number(entry.slice(ADVANCE.length));
        if (Number.isFinite(ms) && ms >= 0 && ms <= 365 * 86_400_000) await this.#advance(ms);
        else this.#print(`replay: "${entry}" is not an advance of 0 to 31536000000 ms; skipped`, 'note error');
      } else if (entry.trim()) {
        this.#history.push(entry);
        await this.#exec(entry);
      }
    }
    this.#cursor = this.#history.length;
  }

  #stored() {
    try {
      const saved = JSON.parse(sessionStorage.getItem(STORE) ?? '[]');
      return Array.isArray(saved) ? saved.filter((e) => typeof e === 'string') : [];
    } catch {
      return [];
    }
  }

  #remember(entry) {
    this.#session.push(entry);
    try {
      sessionStorage.setItem(STORE, JSON.stringify(this.#session));
    } catch {
      // Storage full or disabled: the session still works, it just will not survive a reload.
    }
  }

  async #startOver() {
    await this.#opened();
    await this.#core.call(`${this.#handle}.free`);
    this.#handle = await this.#core.call('new Console');
    this.#session = [];
    this.#history = [];
    this.#cursor = 0;
    sessionStorage.removeItem(STORE);
    $('console-output').replaceChildren();
    await this.#refresh();
  }

  #browseHistory(e) {
    if (e.key !== 'ArrowUp' && e.key !== 'ArrowDown') return;
    e.preventDefault();
    this.#cursor = Math.max(0, Math.min(this.#history.length, this.#cursor + (e.key === 'ArrowUp' ? -1 : 1)));
    $('console-input').value = this.#history[this.#cursor] ?? '';
  }

  #print(text, className) {
    const out = $('console-output');
    out.append(Object.assign(document.createElement('div'), { className, textContent: text }));
    out.scrollTop = out.scrollHeight;
  }

  /** The key table, the clock, the prompt and the replay link, from the model. */
  async #refresh() {
    // Asked at once (the worker answers in order): one round trip, not three, before the clock shows.
    const [keys, now, prompt] = await Promise.all(['keys', 'now_ms', 'prompt'].map((m) => this.#core.call(`${this.#handle}.${m}`)));
    $('console-prompt').textContent = prompt.trimEnd();
    $('console-clock').textContent = `simulated time: ${(now / 1000).toFixed(1)} s`;
    const rows = keys.map((k) => {
      const tr = document.createElement('tr');
      const ttl = k.ttl_ms < 0 ? 'no TTL' : `${(k.ttl_ms / 1000).toFixed(1)} s`;
      tr.append(...[k.key, k.type, ttl].map((t) => Object.assign(document.createElement('td'), { textContent: t })));
      return tr;
    });
    $('console-keys').tBodies[0].replaceChildren(...rows);
    const link = new URLSearchParams({ lesson: 'console' });
    if (this.#session.length) link.set('cmds', this.#session.join('\n'));
    $('console-link').href = `?${link}`;
  }
}
