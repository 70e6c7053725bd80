// The key widget of the `keys` lesson: the learner types a call of the lesson's functions
// (`get_products('books', limit=10)`) and sees its cache key under each scheme, with the text each
// one hashes. Reading the call, binding it and hashing all happen in the core (`callKeysText`);
// this file only draws what it answers.

const el = (tag, props = {}, ...children) => {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
};

/** Calls to try, each showing one thing the chapter's key gets wrong. */
const EXAMPLES = [
  "get_products('books')",
  "get_products('books', 10)",
  "get_products(category='books', limit=10)",
  'users.get_by_id(7)',
  'products.get_by_id(7)',
];

export class KeysPanel {
  #core;
  #asked = 0;

  /** `core` is a `Core` (its own worker, so a run elsewhere never delays an answer). */
  constructor(core) {
    this.#core = core;
    this.root = el('section', { id: 'keys-widget', className: 'keys-widget', hidden: true });
    this.root.setAttribute('aria-label', 'a call and its cache keys');
    this.input = el('input', { id: 'keys-call', value: EXAMPLES[2], spellcheck: false, autocomplete: 'off' });
    this.shortHex = el('input', { id: 'keys-short-hex', type: 'number', min: 1, max: 16, step: 1, value: 4 });
    this.error = el('span', { className: 'error', id: 'keys-error' });
    this.error.setAttribute('aria-live', 'polite');
    this.table = el('table', { className: 'results', id: 'keys-table' });
    this.signatures = el('p', { className: 'hint' });
    const examples = el('p', { className: 'keys-examples' }, 'Try: ', ...EXAMPLES.map((call) => {
      const b = el('button', { type: 'button', textContent: call });
      b.addEventListener('click', () => {
        this.input.value = call;
        this.show();
      });
      return b;
    }));
    this.input.addEventListener('input', () => this.show());
    this.shortHex.addEventListener('input', () => this.show());
    this.root.append(
      el('h3', { textContent: 'Type a call, see its keys' }),
      this.signatures,
      el('div', { className: 'field' }, el('label', { htmlFor: 'keys-call', textContent: 'call' }), this.input, this.error),
      el('div', { className: 'field' }, el('label', { htmlFor: 'keys-short-hex', textContent: 'short-digest keeps (hex digits)' }), this.shortHex),
      examples,
      el('div', { className: 'table-scroll' }, this.table),
    );
  }

  /** Lists the functions a call may name (from the core). */
  async start() {
    const functions = await this.#core.call('keyFunctions');
    this.signatures.textContent = `Functions: ${functions.map((f) => `${f.signature} → ${f.returns}`).join('; ')}.`;
  }

  /** Shows or hides the widget; shown, it answers for the call in the field. */
  async showFor(visible) {
    this.root.hidden = !visible;
    if (visible) await this.show();
  }

  /** Asks the core for the keys of the typed call; only the latest answer is drawn. */
  async show() {
    const asked = ++this.#asked;
    try {
      const answer = await this.#core.call('callKeysText', [this.input.value, Number(this.shortHex.value)]);
      if (asked !== this.#asked) return;
      this.error.textContent = '';
      this.input.removeAttribute('aria-invalid');
      const head = el('tr', {}, ...['scheme', 'key', 'digest bits', 'even odds of a collision at', 'SHA-256 of'].map((h) => el('th', { scope: 'col', textContent: h })));
      const rows = answer.keys.map((k) => el('tr', {},
        el('td', { textContent: k.scheme }),
        el('td', {}, el('code', { textContent: k.key })),
        el('td', { textContent: String(k.digest_bits) }),
        el('td', { textContent: `${k.birthday_bound.toPrecision(3)} keys` }),
        el('td', {}, el('code', { textContent: k.hashed }))));
      this.table.replaceChildren(el('caption', { textContent: answer.call }), el('thead', {}, head), el('tbody', {}, ...rows));
    } catch (e) {
      if (asked !== this.#asked) return;
      this.error.textContent = e.message;
      this.input.setAttribute('aria-invalid', 'true');
      this.table.replaceChildren();
    }
  }
}
