// How each lesson's report is drawn: charts, table, CSV. What a lesson says (title, text, chapter
// section, defaults, experiments, questions, claims, the sentence that sums up a run) comes from
// the Rust core's lesson files (`lessons/*.json`, the wasm export `lessons`); the knobs come from
// the core too. A scenario lesson without an entry in VIEWS gets the summary table and the time
// charts, so a new lesson needs no JavaScript.

import { missClassBars } from './inside.js';

/** The variant of `report` called `name` (or undefined). */
const variant = (report, name) => report.variants.find((v) => v.name === name);

const pct = (x) => `${(100 * x).toFixed(1)} %`;
const num = (x) => (Number.isInteger(x) ? String(x) : x.toFixed(2));

// The summary table's heads, the core's (`summaryColumns`, the same words `cachelab run` prints).
let summaryColumns = [];

/** Takes the summary table's heads from the core (at start). */
export function setSummaryColumns(columns) {
  summaryColumns = columns;
}

/** The default table of a scenario lesson: each variant's summary, under the core's definition of its hit ratio. */
const summaryTable = (r) => ({
  caption: r.hit_ratio_definition,
  head: summaryColumns,
  rows: r.variants.map(({ name, summary: s }) => [
    name, s.requests, s.l1_hits, s.l2_hits, s.waited, s.misses, s.db_queries, s.max_db_in_flight, pct(s.hit_ratio),
    num(s.latency_ms.p50), num(s.latency_ms.p99), num(s.latency_ms.max), s.errors, s.stale_reads, s.fallbacks, s.coalesced,
  ]),
});

/**
 * How a lesson over a scenario of the core is run and drawn: every variant it runs is overlaid in
 * each chart. A lesson whose numbers the summary table does not show brings its own `table`.
 */
function scenarioView({ charts = timeCharts, table = summaryTable } = {}) {
  return {
    runFn: 'scenarioStart',
    runArgs: (def, params, seed) => [def.scenario, params, seed, def.variants?.length ? def.variants.join(',') : undefined],
    // coursepage: failed requests get a chart of their own whenever a run has any.
    charts: (r) => [...charts(r), ...failedCharts(r)],
    table,
    csv: (r) => {
      const lines = ['variant,t_s,hit_ratio,db_qps,p99_ms'];
      for (const v of r.variants) {
        v.series.t_s.forEach((t, i) => lines.push([v.name, t, v.series.hit_ratio[i], v.series.db_qps[i], v.series.p99_ms[i]].join(',')));
      }
      return `${lines.join('\n')}\n`;
    },
  };
}

/** Failed requests per second, every variant overlaid — only for a run in which some failed. */
function failedCharts(r) {
  if (!r.variants?.some((v) => v.summary?.errors > 0 && v.series?.errors)) return [];
  const bucketS = r.params.bucket_ms / 1000;
  return [{
    title: 'failed requests per second',
    x: r.variants[0].series.t_s,
    xLabel: 'simulated time (s)',
    yLabel: 'failed requests per second',
    step: bucketS,
    series: r.variants.map((v) => ({ label: v.name, values: (v.series.errors ?? []).map((n) => n / bucketS) })),
  }];
}

/** Where the monitor alerted (at most a few, so that the chart stays readable), as chart marks. */
const alertMarks = (r) => r.variants
  .flatMap((v) => (v.monitoring?.alerts ?? []).map((a) => ({ x: a.time_s, label: `alert: ${v.name}` })))
  .slice(0, 4);

/** The moment of a schema deploy, as a chart mark. */
const deployMarks = (r) => {
  const d = r.variants[0]?.schema_deploy;
  return d ? [{ x: d.deploy_at_s, label: 'deploy' }] : [];
};

/** The consistency scenario's own numbers: what readers saw, what writes cost, what a crash lost. */
const consistencyTable = (r) => ({
  caption: r.hit_ratio_definition,
  head: ['variant', 'writes', 'DB write statements', 'DB queries', 'hit ratio', 'failed requests', 'stale reads', 'put-backs', 'refused fills', 'most versions behind', 'longest behind (ms)', 'refreshes', 'lost writes'],
  rows: r.variants.map(({ name, summary: s, consistency: c }) => [
    name, c.writes, c.db_writes, s.db_queries, pct(s.hit_ratio), s.errors, c.stale_reads, c.put_backs, c.refused_fills,
    c.max_versions_behind, num(c.max_stale_ms), c.refreshes, c.write_behind ? c.write_behind.lost_writes : '—',
  ]),
});

/** The moments the hot key expired (in the variant without protection), as chart marks. */
const expiryMarks = (r) => ((variant(r, 'none') ?? r.variants[0])?.hot_key?.expiries_s ?? []).map((x) => ({ x, label: 'expired' }));

/** `f` of a bucket's value, or null (a gap in the chart) for a bucket without one: no requests. */
const orGap = (f) => (x) => (x === null ? null : f(x));

/** Hit ratio, database load and p99 latency over simulated time, every variant overlaid. */
function timeCharts(r) {
  return [
    ['hit_ratio', 'hit ratio (%)', orGap((x) => 100 * x)],
    ['db_qps', 'database queries per second', (x) => x],
    ['p99_ms', 'p99 latency (ms)', orGap((x) => x)],
  ].map(([field, yLabel, scale]) => ({
    title: yLabel,
    x: r.variants[0]?.series.t_s ?? [],
    xLabel: 'simulated time (s)',
    yLabel,
    // Each value covers its bucket, so an expiry mark sits over the bucket it happened in.
    step: r.params.bucket_ms / 1000,
    marks: [...expiryMarks(r), ...deployMarks(r)],
    series: r.variants.map((v) => ({ label: v.name, values: v.series[field].map(scale) })),
  }));
}

/** Where reads were answered — L1, L2 or the database — over time, in the first variant. */
function layerCharts(r) {
  return r.variants.slice(0, 1).map((v) => ({
    title: `where reads were answered: ${v.name}`,
    x: v.series.t_s,
    xLabel: 'simulated time (s)',
    yLabel: 'share of reads (%)',
    series: [
      { label: 'L1', values: v.series.l1_hit_ratio.map(orGap((x) => 100 * x)) },
      { label: 'L2', values: v.series.l2_hit_ratio.map(orGap((x) => 100 * x)) },
      { label: 'database', values: v.series.hit_ratio.map(orGap((x) => 100 * (1 - x))) },
    ],
  }));
}

/** The rate-limit run's moments: the burst, the outage and the admin reset, as chart marks. */
const limitMarks = (r) => {
  const l = r.variants[0]?.ratelimit;
  if (!l) return [];
  return [
    { x: r.params.burst_at_s, label: 'burst' },
    { x: l.outage.from_s, label: 'L2 down' },
    { x: l.outage.to_s, label: 'L2 back' },
    { x: l.reset.at_s, label: 'reset a1' },
  ].filter((m) => m.x < r.params.duration_s);
};

/** Admitted and refused requests per second, every limiter overlaid. */
function limitCharts(r) {
  return [
    ['admitted requests per second', (v) => v.series.db_qps],
    ['refused requests (429) per second', (v) => v.ratelimit.rejected_per_s],
  ].map(([yLabel, values]) => ({
    title: yLabel,
    x: r.variants[0]?.series.t_s ?? [],
    xLabel: 'simulated time (s)',
    yLabel,
    marks: limitMarks(r),
    series: r.variants.map((v) => ({ label: v.name, values: values(v) })),
  }));
}

/** Database queries a variant issued in its first simulated second. */
const firstSecondQueries = (r, v) => {
  const bucketS = r.params.bucket_ms / 1000;
  return Math.round(v.series.t_s.reduce((sum, t, i) => (t < 1 ? sum + v.series.db_qps[i] * bucketS : sum), 0));
};

/** Stale reads per second next to hit ratio, database load and p99, every variant overlaid. */
function multilayerCharts(r) {
  return [perSecondChart(r, 'stale reads per second', (v) => v.multilayer?.stale_reads), ...timeCharts(r)];
}

/** A chart of a per-bucket count of each variant (`pick`), as a rate per second. */
function perSecondChart(r, title, pick) {
  const bucketS = r.params.bucket_ms / 1000;
  return {
    title,
    x: r.variants[0]?.series.t_s ?? [],
    xLabel: 'simulated time (s)',
    yLabel: title,
    series: r.variants.map((v) => ({ label: v.name, values: (pick(v) ?? []).map((n) => n / bucketS) })),
  };
}

/** The writes lesson's subject over time: stale reads and put-backs per second, then the usual charts. */
function consistencyCharts(r) {
  return [
    perSecondChart(r, 'stale reads per second', (v) => v.consistency?.stale_reads_per_bucket),
    perSecondChart(r, 'put-backs per second', (v) => v.consistency?.put_backs_per_bucket),
    ...timeCharts(r),
  ];
}

/** Per variant: each layer's own hit ratio, the instances' L1s, staleness, the messages and the database's load. */
const multilayerTable = (r) => ({
  head: ['variant', 'L1 hit ratio', 'L2 hit ratio', 'L1 hit ratio per instance', 'DB reads', 'failed requests', 'stale reads', 'of those from L1', 'longest staleness ms', 'outdated L1 copies at the end (oldest ms)', 'messages sent / delivered', 'DB queries (the reads + the writes)', 'DB queries in the first second'],
  rows: r.variants.map((v) => {
    const m = v.multilayer;
    const [l1, l2, db] = m.layers;
    return [
      v.name, pct(l1.hit_ratio), pct(l2.hit_ratio), m.per_instance.map((i) => pct(i.l1_hit_ratio)).join(' / '), db.hits,
      v.summary.errors, v.summary.stale_reads, l1.stale_reads, num(m.max_stale_ms),
      `${m.outdated_l1_copies_at_end} (${num(m.oldest_outdated_l1_copy_ms)})`, m.broadcast ? `${m.broadcast.sent} / ${m.broadcast.delivered}` : '—',
      v.summary.db_queries, firstSecondQueries(r, v),
    ];
  }),
});

/** Names held in all tag sets, and L2's memory, at the end of each bucket, every variant overlaid. */
function tagCharts(r) {
  const bucketS = r.params.bucket_ms / 1000;
  const ends = (r.variants[0]?.series.t_s ?? []).map((t) => t + bucketS);
  return [
    ['names in all tag sets', (t) => t.tag_members],
    ['L2 memory (kB)', (t) => t.used_memory_bytes.map((b) => b / 1000)],
  ].map(([yLabel, values]) => ({
    title: yLabel,
    x: ends,
    xLabel: 'simulated time (s)',
    yLabel,
    marks: [{ x: r.params.ttl_s, label: 'first pages expire' }],
    series: r.variants.map((v) => ({ label: v.name, values: values(v.tags) })),
  }));
}

/** A run's fault windows (degradation's outage and slow window), as chart marks. */
const faultMarks = (r) => {
  const d = r.variants[0]?.degradation;
  if (!d) return [];
  return [
    ...(d.outage ? [{ x: d.outage.from_s, label: 'L2 down' }, { x: d.outage.to_s, label: 'L2 back' }] : []),
    ...(d.slow ? [{ x: d.slow.from_s, label: 'L2 slow' }, { x: d.slow.to_s, label: 'L2 fast' }] : []),
  ];
};

/** Database load against its pool's capacity, p99 and failed requests per second, every client overlaid. */
function degradationCharts(r) {
  const x = r.variants[0]?.series.t_s ?? [];
  const perS = r.params.bucket_ms / 1000;
  const capacity = r.variants[0]?.degradation.db_capacity_qps ?? 0;
  const chart = (title, series) => ({ title, x, xLabel: 'simulated time (s)', yLabel: title, marks: faultMarks(r), series });
  return [
    chart('database queries per second', [
      ...r.variants.map((v) => ({ label: v.name, values: v.series.db_qps })),
      { label: 'what the pool serves', values: x.map(() => capacity) },
    ]),
    chart('p99 latency (ms)', r.variants.map((v) => ({ label: v.name, values: v.series.p99_ms }))),
    chart('failed requests per second', r.variants.map((v) => ({ label: v.name, values: v.series.errors.map((e) => e / perS) }))),
  ];
}

/** Used memory against maxmemory, evictions per second and hit ratio, every policy overlaid. */
function memoryCharts(r) {
  const x = r.variants[0]?.series.t_s ?? [];
  const max = (r.variants[0]?.memory.maxmemory_bytes ?? 0) / 1e6;
  const chart = (title, series) => ({ title, x, xLabel: 'simulated time (s)', yLabel: title, marks: alertMarks(r), series });
  return [
    chart('L2 used memory (MB)', [
      ...r.variants.map((v) => ({ label: v.name, values: v.memory.used_memory_bytes.map((b) => b / 1e6) })),
      { label: 'maxmemory', values: x.map(() => max) },
    ]),
    chart('evictions per second', r.variants.map((v) => ({ label: v.name, values: v.memory.evicted_per_s }))),
    chart('hit ratio (%)', r.variants.map((v) => ({ label: v.name, values: v.series.hit_ratio.map(orGap((h) => 100 * h)) }))),
  ];
}

const consistencyView = { table: consistencyTable, charts: consistencyCharts };

/** Each lesson's view, by lesson id. */
const VIEWS = {
  capacity: {
    paramsFn: 'l1CurveParams',
    runFn: 'l1CurveStart',
    runArgs: (def, params, seed) => [params, seed],
    charts: (r) => [{
      title: 'LRU hit ratio by capacity',
      x: r.points.map((p) => p.capacity),
      xLabel: 'L1 capacity (entries, log scale)',
      yLabel: 'hit ratio (%)',
      xLog: true,
      series: [{ label: 'LRU hit ratio', values: r.points.map((p) => 100 * p.hit_ratio) }],
    }],
    table: (r) => ({
      head: ['capacity', 'hits', 'misses', 'hit ratio'],
      rows: r.points.map((p) => [p.capacity, p.hits, p.misses, pct(p.hit_ratio)]),
    }),
    csv: (r) => `capacity,hits,misses,hit_ratio\n${r.points.map((p) => [p.capacity, p.hits, p.misses, p.hit_ratio].join(',')).join('\n')}\n`,
  },
  eviction: {
    charts: (r) => {
      const policies = [...new Set(r.rows.map((row) => row.policy))];
      const unit = r.rows[0]?.unit ?? 'objects';
      // LRU's exact curve (every capacity, from stack distances) is drawn as a line over the
      // policies' points, and so is its sampled curve (a streamed file's only one); the x axis
      // holds every set of capacities.
      const exact = r.lru_exact ?? [];
      const sampled = r.lru_sampled?.report.curve ?? [];
      const x = [...new Set([...r.rows.map((row) => row.capacity), ...exact.map((p) => p.capacity), ...sampled.map((p) => p.capacity)])].sort((a, b) => a - b);
      const at = (points, c) => points.find((p) => p.capacity === c);
      const charts = [{
        title: `miss ratio against cache size — ${r.trace}`,
        x,
        xLabel: `cache size (${unit}, log scale)`,
        yLabel: 'miss ratio (%)',
        xLog: true,
        // Each policy has values at its own sizes only; join them across the others' sizes.
        spanGaps: true,
        series: [
          ...policies.map((p) => ({
            label: p,
            values: x.map((c) => {
              const row = r.rows.find((row) => row.policy === p && row.capacity === c);
              return row ? 100 * row.miss_ratio : null;
            }),
          })),
          ...(exact.length ? [{ label: 'LRU, every size (exact)', line: true, values: x.map((c) => (at(exact, c) ? 100 * at(exact, c).miss_ratio : null)) }] : []),
          ...(sampled.length ? [{ label: r.lru_sampled.label, line: true, values: x.map((c) => (at(sampled, c) ? 100 * at(sampled, c).miss_ratio : null)) }] : []),
        ],
      }];
      const a = r.analysis;
      if (a) {
        charts.push({
          title: `popularity: requests per key by rank (Zipf exponent ${a.zipf_exponent.toFixed(2)})`,
          x: a.popularity.map((p) => p.rank),
          xLabel: 'rank of the key (log scale)',
          yLabel: 'requests (log scale)',
          xLog: true,
          yLog: true,
          series: [{ label: 'requests', values: a.popularity.map((p) => p.requests) }],
        });
        charts.push({
          title: 'reuse distance: distinct keys requested since the same key was last requested',
          x: a.reuse_distances.map((b) => b.to),
          xLabel: 'reuse distance, up to (keys, log scale)',
          yLabel: 'requests',
          xLog: true,
          series: [{ label: 'requests', values: a.reuse_distances.map((b) => b.count) }],
        });
        charts.push({
          title: 'working set over the trace',
          x: a.working_set.map((w) => w.requests),
          xLabel: 'requests so far',
          yLabel: 'distinct keys',
          series: [
            { label: `in each window of ${Math.round(a.requests / a.working_set.length)} requests`, values: a.working_set.map((w) => w.window_keys) },
            { label: 'since the start', values: a.working_set.map((w) => w.keys_so_far) },
          ],
        });
      }
      return charts;
    },
    table: (r) => {
      // One row per cache size, one column per policy: the miss ratio (the CSV has the counts).
      const policies = [...new Set(r.rows.map((row) => row.policy))];
      const caps = [...new Set(r.rows.map((row) => row.capacity))].sort((a, b) => a - b);
      const cell = (p, c) => r.rows.find((row) => row.policy === p && row.capacity === c);
      return {
        head: [`capacity (${r.rows[0]?.unit ?? 'objects'})`, ...policies.map((p) => `${p} miss ratio`)],
        rows: caps.map((c) => [c, ...policies.map((p) => (cell(p, c) ? pct(cell(p, c).miss_ratio) : '—'))]),
      };
    },
    // The unit is a column of its own: a run has one unit, and the file says which.
    csv: (r) => `policy,capacity,unit,requests,misses,miss_ratio,byte_miss_ratio\n${r.rows.map((row) => [row.policy, row.capacity, row.unit, row.requests, row.misses, row.miss_ratio, row.byte_miss_ratio].join(',')).join('\n')}\n`,
    decorate: (charts, r) => {
      const bars = missClassBars(r);
      if (bars) charts.append(bars);
    },
    notice: (r) => {
      const caps = [...new Set(r.rows.map((row) => row.capacity))].sort((a, b) => a - b);
      const mid = caps[Math.floor(caps.length / 2)];
      const at = r.rows.filter((row) => row.capacity === mid && row.policy !== 'belady').sort((a, b) => a.miss_ratio - b.miss_ratio);
      const lru = at.find((row) => row.policy === 'lru');
      if (!at.length) return '';
      const vsLru = lru && at[0].policy !== 'lru' ? `, against ${pct(lru.miss_ratio)} for LRU` : '';
      const a = r.analysis;
      const shape = a ? ` ${pct(a.one_hit_wonder_share)} of the keys are requested only once; popularity falls with rank like a Zipf law of exponent ${a.zipf_exponent.toFixed(2)}.` : '';
      // A streamed run's note says how its LRU line was sampled; a whole run's, how far that
      // sampling is from the exact curve here.
      const streamed = r.stream ? ` ${r.stream.note}` : r.lru_sampled ? ` ${r.lru_sampled.note}` : '';
      return `${r.requests} requests for ${r.unique_keys} keys. At ${mid} ${r.rows[0].unit}, the best policy you can run is ${at[0].policy} with a miss ratio of ${pct(at[0].miss_ratio)}${vsLru}.${shape}${streamed}`;
    },
  
  },
  inside: {},
  console: {},
  consistency: scenarioView(consistencyView),
  inconsistency: scenarioView(consistencyView),
  layers: scenarioView({ charts: layerCharts }),
  multilayer: scenarioView({ table: multilayerTable, charts: multilayerCharts }),
  observability: scenarioView({ table: multilayerTable, charts: multilayerCharts }),
  'response-cache': scenarioView({
    table: (r) => ({
      head: ['variant', 'requests', 'from cache', 'hit ratio', 'failed requests', 'backend calls', 'backend 500s', 'wrong answers', 'orders skipped', 'stored errors served', "other users' data", 'stale data', 'misses on another spelling'],
      rows: r.variants.map(({ name, summary: s, response_cache: c }) => [
        name, s.requests, c.cache_hits, pct(s.hit_ratio), s.errors, c.backend_calls, c.backend_errors, c.wrong_responses,
        c.skipped_posts, c.stale_errors, c.other_users_data, c.stale_data, c.spelling_misses,
      ]),
    }),
  }),
  ratelimit: scenarioView({
    charts: limitCharts,
    table: (r) => ({
      head: ['variant', 'fail mode', 'admitted', 'refused', 'users refused', 'abusers admitted', 'scrapers admitted', 'burst admitted in one window', 'most in one window (user reads)', 'outage: admitted / refused', 'after reset: remaining'],
      rows: r.variants.map(({ name, ratelimit: l }) => [
        name, l.fail_mode, l.admitted, l.rejected, l.clients[0].rejected, l.clients[1].admitted, l.clients[2].admitted,
        l.burst_max_in_window, l.window_peaks[0].max_admitted_in_window,
        `${l.outage.admitted} / ${l.outage.rejected}`, l.reset.after?.remaining ?? '—',
      ]),
    }),
  }),
  tags: scenarioView({
    charts: tagCharts,
    table: (r) => ({
      head: ['variant', 'reads', 'hit ratio', 'failed requests', 'pages cached', 'updates', 'pages flushed', 'stale reads', 'tag-set names at the end', 'largest tag set', 'L2 memory at the end (kB)'],
      rows: r.variants.map(({ name, summary: s, tags: t }) => [
        name, s.requests - t.updates, pct(s.hit_ratio), s.errors, t.pages_cached, t.updates, t.flushed_pages, t.stale_reads,
        t.tag_members.at(-1) ?? 0, t.largest_tag_set, num((t.used_memory_bytes.at(-1) ?? 0) / 1000),
      ]),
    }),
  }),
  keys: scenarioView({
    table: (r) => ({
      head: ['variant', 'reads', 'hit ratio', 'distinct calls', 'keys', 'wrong values', 'of which digest collisions', 'spelling misses', 'None reloads', 'digest bits', 'even odds of a collision at (keys)'],
      rows: r.variants.map(({ name, summary: s, keys: k }) => [
        name, s.requests, pct(s.hit_ratio), k.distinct_calls, k.distinct_keys, s.wrong_values, k.wrong_from_digest,
        k.spelling_misses, k.none_reloads, k.digest_bits, k.birthday_bound.toPrecision(3),
      ]),
    }),
  }),
  'query-cache': scenarioView({
    table: (r) => ({
      head: ['variant', 'reads', 'hit ratio', 'stale reads', 'writes', 'results flushed', 'fills dropped', 'summary loads', 'readers waiting on the lock', 'duplicate summary loads', 'warmed', 'p99 ms'],
      rows: r.variants.map(({ name, summary: s, query_cache: q }) => [
        name, s.requests - q.writes, pct(s.hit_ratio), q.stale_reads, q.writes, q.flushed, q.skipped_fills,
        q.summary_loads, q.summary_waits, q.summary_duplicate_loads, q.warmed, num(s.latency_ms.p99),
      ]),
    }),
  }),
  degradation: scenarioView({
    charts: degradationCharts,
    table: (r) => ({
      head: ['client', 'failed requests', 'outage: failed / arrived', 'outage: DB queries/s', 'outage load ÷ normal', 'DB pool serves /s', 'slow window: worst p99 ms', 'refused', 'timed out', 'pool exhausted', 'breaker opened / skipped'],
      rows: r.variants.map(({ name, summary: s, degradation: d }) => [
        name, s.errors, d.outage ? `${d.outage.failed} / ${d.outage.requests}` : '—', d.outage ? num(d.outage.db_qps) : '—', `${num(d.outage_load_factor)}×`,
        num(d.db_capacity_qps), d.slow ? num(d.slow.worst_p99_ms) : '—', d.faults.refused, d.faults.timed_out, d.faults.pool_exhausted,
        d.breaker ? `${d.breaker.opened} / ${d.breaker.skipped}` : '—',
      ]),
    }),
  }),
  'lock-safety': scenarioView({
    table: (r) => ({
      head: ['variant', 'locks taken', 'most loads at once', 'loads that overlapped', 'deleted own lock', 'deleted another\'s lock', 'left another\'s lock', 'lock already gone', 'renewals', 'DB queries', 'p99 ms'],
      rows: r.variants.map(({ name, summary: s, lock_safety: { locks: l } }) => [
        name, l.acquired, l.max_concurrent_loads, l.overlapping_loads, l.released_own, l.deleted_foreign, l.spared_foreign, l.found_expired, l.renewals,
        s.db_queries, num(s.latency_ms.p99),
      ]),
    }),
  }),
  memory: scenarioView({
    charts: memoryCharts,
    table: (r) => ({
      head: ['policy', 'hit ratio', 'fills refused (OOM)', 'logins refused', 'sessions evicted', 'rows in L2 at the end', 'sessions in L2 at the end', 'evicted keys', 'hottest row: MEMORY USAGE / OBJECT FREQ'],
      rows: r.variants.map(({ name, summary: s, memory: m, monitoring }) => [
        name, pct(s.hit_ratio), m.refused_fills, m.sessions_refused, m.sessions_evicted, m.rows_cached_at_end, m.sessions_at_end, monitoring?.evicted_keys ?? 0,
        `${m.hottest[0]?.memory_usage ?? '—'} B / ${m.hottest[0]?.object_freq ?? '—'}`,
      ]),
    }),
  }),
};

/**
 * The lesson `def` (as the core defines it) with how the page runs and draws it, or null if this
 * page cannot show its kind.
 */
export function withView(def) {
  const view = VIEWS[def.id] ?? (def.kind === 'scenario' ? scenarioView() : null);
  return view ? { ...def, ...view } : null;
}
