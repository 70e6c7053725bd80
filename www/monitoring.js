// The monitoring panel of a scenario lesson: what a dashboard polling the shared cache's INFO
// would have shown — L2 hits and misses, its hit ratio, memory and keys, evictions and
// expirations, bucket by bucket — with each alert as a mark on the charts and a row under them.
// Everything comes from the report's `monitoring` section, computed by the core.
import { draw } from './chart.js';

const pct = (x) => `${(100 * x).toFixed(1)} %`;
const num = (x) => (Number.isInteger(x) ? String(x) : x.toFixed(2));

/** An alert in words: what crossed which threshold. */
export function describeAlert(a) {
  return a.kind === 'hit_ratio_low'
    ? { what: 'L2 hit ratio below the floor', value: pct(a.value), threshold: pct(a.threshold) }
    : { what: 'L2 memory above the mark', value: `${num(a.value)} MB`, threshold: `${num(a.threshold)} MB` };
}

/** The charts of one variant's monitoring series, alerts as marks. */
export function monitoringCharts(v, bucketS) {
  const m = v.monitoring;
  const s = m.series;
  const marks = m.alerts.map((a) => ({ x: a.time_s, label: a.kind === 'hit_ratio_low' ? 'alert: hit ratio' : 'alert: memory' }));
  const perS = (xs) => xs.map((n) => n / bucketS);
  const common = { x: s.t_s, xLabel: 'simulated time (s)', marks, step: bucketS };
  return [
    { ...common, title: `L2 lookups per second: ${v.name}`, yLabel: 'per second', series: [
      { label: 'hits', values: perS(s.keyspace_hits) },
      { label: 'misses', values: perS(s.keyspace_misses) },
      { label: 'expired keys', values: perS(s.expired_keys) },
      { label: 'evicted keys', values: perS(s.evicted_keys) },
    ] },
    { ...common, title: `L2 hit ratio, as the server counts it: ${v.name}`, yLabel: 'hit ratio (%)', yRange: [0, 100], series: [
      { label: 'L2 hit ratio', values: s.hit_ratio.map((x) => (x === null ? null : 100 * x)) },
    ] },
    { ...common, title: `L2 memory and keys at each bucket's end: ${v.name}`, yLabel: 'kB / keys', series: [
      { label: 'memory (kB)', values: s.used_memory_bytes.map((b) => b / 1000) },
      { label: 'keys', values: s.keys },
    ] },
  ];
}

/** The alerts of every variant as table rows: variant, when, what, value, threshold. */
export function alertRows(report) {
  return report.variants.flatMap((v) => (v.monitoring?.alerts ?? []).map((a) => {
    const d = describeAlert(a);
    return [v.name, `${a.time_s} s`, d.what, d.value, d.threshold];
  }));
}

/**
 * Fills `section` with the monitoring panel of `report` (hidden when the report has no
 * monitoring section): a variant picker, the charts of the picked variant, the totals and the
 * alerts table.
 */
export function renderMonitoring(section, report, bucketMs) {
  const monitored = (report.variants ?? []).filter((v) => v.monitoring?.series);
  section.hidden = monitored.length === 0;
  if (section.hidden) return section.replaceChildren();
  const bucketS = bucketMs / 1000;
  const heading = Object.assign(document.createElement('h3'), { textContent: 'Monitoring: what a dashboard of L2 shows' });
  const intro = Object.assign(document.createElement('p'), {
    className: 'hint',
    textContent: 'The shared cache\'s own counters (INFO stats, INFO memory, DBSIZE), read once per bucket. Its hit ratio counts every lookup Redis saw — a lock waiter\'s polls included, L1 hits never — so it differs from the table\'s. Alerts fire when a bucket crosses alert_hit_ratio or alert_memory_mb.',
  });
  const label = Object.assign(document.createElement('label'), { htmlFor: 'monitoring-variant', textContent: 'variant ' });
  const pick = Object.assign(document.createElement('select'), { id: 'monitoring-variant' });
  pick.append(...monitored.map((v) => Object.assign(document.createElement('option'), { value: v.name, textContent: v.name })));
  label.append(pick);
  const charts = Object.assign(document.createElement('div'), { className: 'charts' });
  const totals = Object.assign(document.createElement('p'), { className: 'monitoring-totals' });
  const table = alertTable(report);
  section.replaceChildren(heading, intro, label, charts, totals, table);
  const show = () => {
    const v = monitored.find((x) => x.name === pick.value) ?? monitored[0];
    const m = v.monitoring;
    const specs = monitoringCharts(v, bucketS);
    charts.replaceChildren(...specs.map((spec) => {
      const fig = Object.assign(document.createElement('figure'), { className: 'chart' });
      fig.setAttribute('role', 'img');
      fig.setAttribute('aria-label', `chart: ${spec.title}`);
      fig.append(Object.assign(document.createElement('h4'), { textContent: spec.title }), document.createElement('div'));
      return fig;
    }));
    specs.forEach((spec, i) => draw(charts.children[i].lastChild, spec));
    totals.textContent = `${v.name} over the run: ${m.keyspace_hits} hits, ${m.keyspace_misses} misses (L2 hit ratio ${pct(m.hit_ratio)}), `
      + `at most ${m.peak_keys} keys and ${num(m.peak_used_memory_bytes / 1000)} kB, ${m.expired_keys} keys expired, ${m.evicted_keys} evicted, ${m.alerts.length} alerts.`;
  };
  pick.addEventListener('change', show);
  show();
  return section;
}

function alertTable(report) {
  const rows = alertRows(report);
  const table = Object.assign(document.createElement('table'), { className: 'results', id: 'alerts' });
  table.append(Object.assign(document.createElement('caption'), {
    textContent: rows.length ? 'Alerts: the first bucket of each episode (one alert until the condition clears)' : 'Alerts: none fired in this run',
  }));
  const head = document.createElement('tr');
  head.append(...['variant', 'at', 'what', 'value', 'threshold'].map((h) => Object.assign(document.createElement('th'), { scope: 'col', textContent: h })));
  table.append(head);
  for (const row of rows) {
    const tr = document.createElement('tr');
    tr.append(...row.map((c) => Object.assign(document.createElement('td'), { textContent: c })));
    table.append(tr);
  }
  const wrap = Object.assign(document.createElement('div'), { className: 'table-scroll' });
  wrap.append(table);
  return wrap;
}
