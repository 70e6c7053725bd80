// Step mode on the page: each variant's event log behind a tab, its events grouped by the request
// they belong to (arrival, each tier asked, locks, loads, fills, answer), and a click on a chart
// that moves the log to that instant (it sets event_log_from_s and runs again).

/** What an event of the log means, in words. */
export function describeEvent(e) {
  const answered = {
    l1: 'answered by L1',
    l2: 'answered by L2',
    l2_stale: 'served a stale entry within its grace period',
    db: 'answered from its own database query',
    coalesced: "answered by another request's load, which it waited for",
    after_lock: "waited for the lock holder's fill, then read it from L2",
  };
  switch (e.event) {
    case 'arrived': return e.write ? 'a write arrives' : 'a read arrives';
    case 'read': return `${answered[e.served] ?? e.served}${e.stale ? ' (stale!)' : ''}`;
    case 'write': return 'write done: the database row changed';
    case 'failed': return 'failed (timed out, or the load it waited for was abandoned)';
    case 'l1_miss': return 'L1 has no entry';
    case 'l1_fill': return 'copied into L1';
    case 'l2_miss': return 'L2 has no fresh entry';
    case 'lock_taken': return 'took the lock (SET NX won): this request loads';
    case 'lock_refused': return 'the lock is held by another request: wait and poll L2';
    case 'early_refresh': return 'XFetch: refresh early, before the entry expires';
    case 'db_query': return { load: 'database query to fill the cache', fallback: 'database query: gave up waiting for the lock', write: 'database write' }[e.purpose] ?? e.purpose;
    case 'fill': return `written to L2, fresh for ${e.fresh_for_ms} ms`;
    default: return e.event;
  }
}

/** The events of a log grouped by request, in order of arrival; events of no request alone. */
export function groupByRequest(events) {
  const groups = [];
  const byId = new Map();
  for (const e of events) {
    if (e.req === undefined) {
      groups.push({ req: null, events: [e] });
      continue;
    }
    let g = byId.get(e.req);
    if (!g) {
      g = { req: e.req, events: [] };
      byId.set(e.req, g);
      groups.push(g);
    }
    g.events.push(e);
  }
  return groups;
}

/** One line that sums up a request: what it was, when it came, how it ended and how long it took. */
function requestSummary(g) {
  const first = g.events[0];
  const end = g.events.find((e) => ['read', 'write', 'failed'].includes(e.event));
  const kind = first.event === 'arrived' && first.write ? 'write' : 'read';
  const how = end ? `${describeEvent(end)} after ${end.latency_ms.toFixed(3)} ms` : 'still running when the run ended';
  const early = g.events.some((e) => e.event === 'early_refresh') ? ' · XFetch early refresh' : '';
  const lock = g.events.some((e) => e.event === 'lock_taken') ? ' · lock holder' : '';
  return `request ${g.req} · ${kind} of key ${first.key} at ${first.t_ms.toFixed(3)} ms · ${how}${early}${lock}`;
}

function cell(tag, text) {
  return Object.assign(document.createElement(tag), { textContent: String(text) });
}

/** One variant's log: a group per request, each a disclosure with its steps. */
function variantLog(v) {
  const box = document.createElement('div');
  box.className = 'steplog-variant';
  const groups = groupByRequest(v.events);
  const first = v.events[0]?.t_ms ?? 0;
  const last = v.events.at(-1)?.t_ms ?? 0;
  box.append(cell('p', `${v.events.length} events of ${groups.filter((g) => g.req !== null).length} requests, from ${first.toFixed(3)} ms to ${last.toFixed(3)} ms. Open a request to follow it step by step.`));
  const list = document.createElement('ol');
  list.className = 'steplog-requests';
  for (const g of groups) {
    const li = document.createElement('li');
    if (g.req === null) {
      const e = g.events[0];
      li.textContent = `${e.t_ms.toFixed(3)} ms · key ${e.key} · ${describeEvent(e)}${e.latency_ms !== undefined ? ` (${e.latency_ms.toFixed(3)} ms)` : ''}`;
      list.append(li);
      continue;
    }
    li.dataset.req = g.req;
    const d = document.createElement('details');
    d.append(cell('summary', requestSummary(g)));
    const table = document.createElement('table');
    table.className = 'results';
    const head = document.createElement('tr');
    head.append(...['time (ms)', 'since arrival (ms)', 'key', 'what happened'].map((h) => Object.assign(cell('th', h), { scope: 'col' })));
    table.append(head);
    const t0 = g.events[0].t_ms;
    for (const e of g.events) {
      const tr = document.createElement('tr');
      tr.dataset.event = e.event;
      tr.append(cell('td', e.t_ms.toFixed(3)), cell('td', `+${(e.t_ms - t0).toFixed(3)}`), cell('td', e.key), cell('td', describeEvent(e)));
      table.append(tr);
    }
    d.append(table);
    li.append(d);
    list.append(li);
  }
  box.append(list);
  return box;
}

/**
 * Fills `section` with the step log of `report`: one tab per variant that has events (the
 * variants side by side would not fit; stacked they made the page 150,000 px tall).
 */
export function renderStepLog(section, report) {
  const logs = (report.variants ?? []).filter((v) => v.events?.length);
  if (!logs.length) return section.replaceChildren();
  const from = report.params?.event_log_from_s;
  const heading = cell('h3', `Step log${from ? ` from ${from} s` : ''}: follow one request`);
  const hint = cell('p', 'Click a chart to start the log at that moment (it sets event_log_from_s and runs again).');
  hint.className = 'hint';
  const tabs = document.createElement('div');
  tabs.className = 'steplog-tabs';
  tabs.setAttribute('role', 'tablist');
  tabs.setAttribute('aria-label', 'variants');
  const panel = document.createElement('div');
  panel.className = 'steplog-panel';
  panel.id = 'steplog-panel';
  panel.setAttribute('role', 'tabpanel');
  const buttons = logs.map((v, i) => {
    const b = cell('button', v.name);
    b.type = 'button';
    b.id = `steplog-tab-${i}`;
    b.dataset.variant = v.name;
    b.setAttribute('role', 'tab');
    b.setAttribute('aria-controls', panel.id);
    b.addEventListener('click', () => select(i));
    b.addEventListener('keydown', (e) => {
      const step = { ArrowRight: 1, ArrowLeft: -1 }[e.key];
      if (step) select((i + step + logs.length) % logs.length, true);
    });
    return b;
  });
  function select(i, focus = false) {
    buttons.forEach((b, j) => {
      b.setAttribute('aria-selected', String(i === j));
      b.tabIndex = i === j ? 0 : -1;
    });
    panel.setAttribute('aria-labelledby', buttons[i].id);
    panel.replaceChildren(variantLog(logs[i]));
    if (focus) buttons[i].focus();
  }
  tabs.append(...buttons);
  section.replaceChildren(heading, hint, tabs, panel);
  select(0);
  return section;
}

/**
 * Makes a click on the chart `plot` (a uPlot) call `moveTo(seconds)` with the time under the
 * pointer: the caller starts the step log there.
 */
export function clickToLog(plot, moveTo) {
  plot.over.style.cursor = 'crosshair';
  plot.over.addEventListener('click', () => {
    const left = plot.cursor.left;
    if (left === undefined || left < 0) return;
    const t = plot.posToVal(left, 'x');
    if (Number.isFinite(t)) moveTo(Math.max(0, Math.round(t * 1000) / 1000));
  });
}
