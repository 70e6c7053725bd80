// The Redis console: commands typed here go to the L2 model (the same `exec` the CLI's
// `cachelab console` uses) and come back formatted as redis-cli prints them. Beside it, a table of
// the keys with their type and TTL; simulated time only moves when you advance it (or run
// DEBUG SLEEP), so TTLs count down in simulated seconds.

const $ = (id) => document.getElementById(id);

export class ConsolePanel {
  #core;
  #handle = null;
  #history = [];
  #cursor = 0;

  /** `core` is a `Core` (a worker of its own, so runs elsewhere cannot cancel it). */
  constructor(core) {
    this.#core = core;
  }

  /** Whether this build of the core has the console; creates the model if so. */
  async start() {
    try {
      this.#handle = await this.#core.call('new Console');
    } catch {
      return false;
    }
    $('console-form').addEventListener('submit', (e) => {
      e.preventDefault();
      this.#send();
    });
    $('console-input').addEventListener('keydown', (e) => this.#browseHistory(e));
    for (const b of document.querySelectorAll('[data-advance-ms]')) {
      b.addEventListener('click', () => this.advance(Number(b.dataset.advanceMs)));
    }
    await this.#refreshKeys();
    return true;
  }

  /** Runs one command line; resolves to the reply text. */
  async exec(line) {
    const reply = await this.#core.call(`${this.#handle}.exec`, [line]);
    this.#print(`> ${line}`, 'command');
    this.#print(reply, reply.startsWith('(error)') ? 'reply error' : 'reply');
    await this.#refreshKeys();
    return reply;
  }

  /** Moves simulated time forward by `ms` milliseconds. */
  async advance(ms) {
    await this.#core.call(`${this.#handle}.advance`, [ms]);
    this.#print(`(simulated time advanced by ${ms / 1000} s)`, 'note');
    await this.#refreshKeys();
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

  async #refreshKeys() {
    const keys = await this.#core.call(`${this.#handle}.keys`);
    const now = await this.#core.call(`${this.#handle}.now_ms`);
    $('console-clock').textContent = `simulated time: ${(now / 1000).toFixed(1)} s`;
    const rows = keys.map((k) => {
      const tr = document.createElement('tr');
      const ttl = k.ttl_ms < 0 ? 'no TTL' : `${(k.ttl_ms / 1000).toFixed(1)} s`;
      tr.append(...[k.key, k.type, ttl].map((t) => Object.assign(document.createElement('td'), { textContent: t })));
      return tr;
    });
    $('console-keys').tBodies[0].replaceChildren(...rows);
  }
}
