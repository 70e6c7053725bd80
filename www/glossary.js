// The glossary on the page: the core's entries (`glossary()` in the wasm module, `cachelab
// glossary` on the command line) and a function that turns a lesson's plain text into DOM nodes
// in which each term is a button opening its definition. No innerHTML: text stays text.

let entries = [];
let pattern = null;
const byForm = new Map();

/** Takes the core's glossary, `[{id, term, forms, definition}]`. */
export function setGlossary(list) {
  entries = Array.isArray(list) ? list : [];
  byForm.clear();
  for (const e of entries) for (const f of e.forms) byForm.set(f, e);
  // Longest forms first, so "TTL jitter" wins over "jitter" and "S3-FIFO" over "FIFO".
  const forms = [...byForm.keys()].sort((a, b) => b.length - a.length)
    .map((f) => f.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'));
  // Whole words only: not inside another word or hyphenated name (the FIFO of S3-FIFO).
  pattern = forms.length ? new RegExp(`(?<![\\w-])(${forms.join('|')})(?![\\w-])`, 'g') : null;
}

/** The entry `form` stands for (as written in a text), or undefined. */
export function termOf(form) {
  return byForm.get(form);
}

/**
 * `text` as DOM nodes: plain text, with each term the glossary knows as a button that opens its
 * definition in `panel` (see `glossaryPanel`). A term listed in `seen` (a Set of ids, shared by
 * the paragraphs of one lesson) stays plain text, so each term is a button once per lesson.
 */
export function linkTerms(text, panel, seen = new Set()) {
  const nodes = [];
  if (!pattern) return [document.createTextNode(text)];
  let last = 0;
  for (const m of text.matchAll(pattern)) {
    const entry = byForm.get(m[1]);
    if (!entry || seen.has(entry.id)) continue;
    seen.add(entry.id);
    if (m.index > last) nodes.push(document.createTextNode(text.slice(last, m.index)));
    nodes.push(termButton(m[1], entry, panel));
    last = m.index + m[1].length;
  }
  if (last < text.length) nodes.push(document.createTextNode(text.slice(last)));
  return nodes;
}

function termButton(word, entry, panel) {
  const b = document.createElement('button');
  b.type = 'button';
  b.className = 'term';
  b.textContent = word;
  b.dataset.term = entry.id;
  b.title = `What is ${entry.term}?`;
  b.setAttribute('aria-expanded', 'false');
  b.setAttribute('aria-controls', panel.id);
  b.addEventListener('click', () => panel.showTerm(entry, b));
  return b;
}

/**
 * The box in which a definition opens: one per page, with the term, its definition and a close
 * button; focus moves to it and back to the word when it closes.
 */
export function glossaryPanel(id = 'glossary-panel') {
  const box = document.createElement('aside');
  box.id = id;
  box.className = 'glossary-panel';
  box.hidden = true;
  box.setAttribute('aria-label', 'glossary');
  box.tabIndex = -1;
  const title = document.createElement('h3');
  const text = document.createElement('p');
  const close = Object.assign(document.createElement('button'), { type: 'button', textContent: 'Close' });
  box.append(title, text, close);
  let opener = null;
  const hide = () => {
    box.hidden = true;
    opener?.setAttribute('aria-expanded', 'false');
    opener?.focus();
    opener = null;
  };
  close.addEventListener('click', hide);
  box.addEventListener('keydown', (e) => e.key === 'Escape' && hide());
  box.showTerm = (entry, from) => {
    if (opener === from && !box.hidden) return hide();
    opener?.setAttribute('aria-expanded', 'false');
    opener = from;
    from.setAttribute('aria-expanded', 'true');
    title.textContent = entry.term;
    text.textContent = entry.definition;
    box.dataset.term = entry.id;
    box.hidden = false;
    box.focus();
  };
  return box;
}

/** Every entry, for a page that lists them. */
export function glossaryEntries() {
  return entries;
}
